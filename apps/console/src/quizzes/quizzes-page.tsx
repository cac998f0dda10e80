import { useApi } from '../use-api';

interface Quiz {
  key: string;
  title: string;
  owner: string;
  version: number;
  definition: { questions: { id: string; text: string; kind: string }[] };
}

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

/** `#/quizzes`: every quiz, and `#/quizzes/<key>`: completion and answer distributions per version (read only). */
export function QuizzesPage({ quizKey }: { quizKey?: string }) {
  const quizzes = useApi<Quiz[]>('/quizzes');
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
      {quizKey && <QuizStatsView quiz={quizzes.data?.find((quiz) => quiz.key === quizKey)} quizKey={quizKey} />}
    </>
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
