import { useState } from 'react';
import { useCanWriteTraits } from '../traits/write-access';
import { useApi } from '../use-api';
import { QuizCard, QuizEditor } from './quiz-editor';

type Quiz = QuizCard;

interface QuizStats {
  currentVersion: number;
  versions: {
    version: number;
    submissions: number;
    respondents: number;
    questions: {
      question: string;
      answered: number;
      options: { value: string; count: number }[];
      numbers: { count: number; min: number; max: number; mean: number } | null;
    }[];
  }[];
}

const share = (count: number, of: number) => (of === 0 ? '–' : `${Math.round((count / of) * 100)} %`);

/**
 * `#/quizzes`: every quiz and (marketers and admins) a new one; `#/quizzes/<key>`: completion and
 * answer distributions per version, where to embed it, and (marketers and admins) its editor.
 */
export function QuizzesPage({ quizKey }: { quizKey?: string }) {
  const quizzes = useApi<Quiz[]>('/quizzes');
  // Quizzes are written by marketers and admins, like computed traits: the same role probe tells them from viewers.
  const canWrite = useCanWriteTraits();
  const [creating, setCreating] = useState(false);
  const [saves, setSaves] = useState(0); // a save remounts the stats, which then read the new version
  const quiz = quizzes.data?.find((candidate) => candidate.key === quizKey);
  return (
    <>
      <h1>Quizzes</h1>
      <p className="muted">
        Surveys and quizzes answered on the embeddable page or through <code>POST /v1/quizzes/:key/answers</code>; each answer sets profile
        traits through an identify call.
      </p>
      {quizzes.error && <p role="alert">{quizzes.error}</p>}
      {quizzes.data && quizzes.data.length === 0 && <p className="muted">No quizzes yet.</p>}
      {quizzes.data && quizzes.data.length > 0 && (
        <table aria-label="Quizzes">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Title</th>
              <th scope="col">Owner</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {quizzes.data.map((quiz) => (
              <tr key={quiz.key}>
                <td>
                  <a href={`#/quizzes/${quiz.key}`}>{quiz.key}</a>
                </td>
                <td>{quiz.title}</td>
                <td>{quiz.owner}</td>
                <td>v{quiz.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canWrite === false && <p className="muted">Read only: your key is a viewer’s.</p>}
      {canWrite && !quizKey && !creating && (
        <div className="actions">
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New quiz
          </button>
        </div>
      )}
      {canWrite && !quizKey && creating && <QuizEditor onSaved={(saved) => (window.location.hash = `#/quizzes/${saved.key}`)} />}
      {quizKey && <QuizStatsView key={saves} quiz={quiz} quizKey={quizKey} />}
      {quiz && <EmbedCard quiz={quiz} />}
      {quiz && canWrite && <EditQuiz quiz={quiz} onSaved={() => (quizzes.reload(), setSaves((count) => count + 1))} />}
    </>
  );
}

/** The Edit button, the editor, and what the last save did (a new version or the same one). */
function EditQuiz({ quiz, onSaved }: { quiz: Quiz; onSaved: () => void }) {
  const [editing, setEditing] = useState(false);
  const [outcome, setOutcome] = useState<string>();
  return (
    <>
      {outcome && <p role="status">{outcome}</p>}
      {editing ? (
        <QuizEditor
          key={quiz.version}
          quiz={quiz}
          onSaved={(saved, previous) => {
            setOutcome(
              saved.version === previous
                ? `Saved: the definition is unchanged, still version ${saved.version}.`
                : `Saved as version ${saved.version}; answers to version ${previous} are refused from now on.`,
            );
            setEditing(false);
            onSaved();
          }}
        />
      ) : (
        <div className="actions">
          <button type="button" onClick={() => setEditing(true)}>
            Edit quiz
          </button>
        </div>
      )}
    </>
  );
}

/**
 * Where the quiz is answered: the embeddable page and the JSON endpoint, both taking a client
 * source's write key as the HTTP Basic user name (shown as a placeholder: the console never holds one).
 */
function EmbedCard({ quiz }: { quiz: Quiz }) {
  const base = `${window.location.origin}/v1/quizzes/${encodeURIComponent(quiz.key)}`;
  const example = Object.fromEntries(
    quiz.definition.questions.map((question) => [
      question.id,
      question.kind === 'number'
        ? (question.min ?? 1)
        : question.kind === 'multi'
          ? [question.options?.[0]?.value]
          : question.options?.[0]?.value,
    ]),
  );
  const snippet = [
    `# The current version's questions (no trait mapping)`,
    `curl -u 'WRITE_KEY:' ${base}`,
    `# Answers: one identify with the traits they map to`,
    `curl -u 'WRITE_KEY:' -H 'content-type: application/json' \\`,
    `  -d '${JSON.stringify({ version: quiz.version, userId: 'USER_ID', answers: example })}' \\`,
    `  ${base}/answers`,
  ].join('\n');
  return (
    <section className="card" aria-label="Embed">
      <h2>Embed</h2>
      <p>
        Embeddable page: <code>{`${base}/page`}</code> (<code>?userId=</code> names the person; without it the page keeps an anonymous id in
        the browser). It is served for a <strong>client</strong> write key only, sent as HTTP Basic: the embedding site fetches it with the
        key, since an <code>&lt;iframe src&gt;</code> cannot send the header.
      </p>
      <p>JSON endpoint (replace WRITE_KEY with a client source’s write key and USER_ID with the person’s id):</p>
      <pre aria-label="JSON endpoint snippet">{snippet}</pre>
    </section>
  );
}

function QuizStatsView({ quiz, quizKey }: { quiz: Quiz | undefined; quizKey: string }) {
  const stats = useApi<QuizStats>(`/quizzes/${encodeURIComponent(quizKey)}/stats`);
  const textOf = (id: string) => quiz?.definition.questions.find((question) => question.id === id)?.text ?? id;
  return (
    <section aria-label={`Answers to ${quizKey}`}>
      <h2>Answers to {quiz?.title ?? quizKey}</h2>
      {stats.error && <p role="alert">{stats.error}</p>}
      {stats.data && stats.data.versions.length === 0 && <p className="muted">No answers yet.</p>}
      {stats.data?.versions.map((version) => (
        <div key={version.version}>
          <h3>
            Version {version.version}
            {version.version === stats.data?.currentVersion ? ' (current)' : ''}
          </h3>
          <p>
            {version.submissions} submissions from {version.respondents} people
          </p>
          <table aria-label={`Version ${version.version} answers`}>
            <thead>
              <tr>
                <th scope="col">Question</th>
                <th scope="col">Answered</th>
                <th scope="col">Answers</th>
              </tr>
            </thead>
            <tbody>
              {version.questions.map((question) => (
                <tr key={question.question}>
                  <td>{textOf(question.question)}</td>
                  <td>
                    {question.answered} ({share(question.answered, version.submissions)})
                  </td>
                  <td>
                    {question.numbers
                      ? `n ${question.numbers.count}, min ${question.numbers.min}, mean ${question.numbers.mean.toFixed(1)}, max ${question.numbers.max}`
                      : question.options
                          .map((option) => `${option.value}: ${option.count} (${share(option.count, question.answered)})`)
                          .join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
