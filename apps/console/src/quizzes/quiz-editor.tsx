import { useId, useState } from 'react';
import { api, describeError } from '../api-client';
import { FieldErrors, FieldIssue, FieldIssuesProvider, issuesOf } from '../builder/field-errors';
import {
  definitionOf,
  draftOf,
  emptyOption,
  emptyQuestion,
  emptyQuiz,
  fieldPaths,
  moved,
  OptionDraft,
  QUESTION_KINDS,
  QuestionDraft,
  QuizDefinition,
  QuizDraft,
  removed,
  replaced,
} from './quiz-form';

/** A quiz as `GET /quizzes/:key` returns it (the fields the console reads). */
export interface QuizCard {
  key: string;
  title: string;
  owner: string;
  version: number;
  definition: QuizDefinition;
}

const KIND_LABELS: Record<QuestionDraft['kind'], string> = {
  single: 'Single choice',
  multi: 'Multiple choice',
  number: 'Number',
};

/**
 * Creates a quiz (`POST /quizzes`, version 1) or changes one (`PUT /quizzes/:key`: a changed
 * definition is saved as the next version). The API's 400s are shown under the field they name
 * (`key`, `definition.questions.1.options.0.trait`, …); what names no field stays in the alert.
 */
export function QuizEditor({ quiz, onSaved }: { quiz?: QuizCard; onSaved: (saved: QuizCard, previousVersion?: number) => void }) {
  const id = useId();
  const creating = quiz === undefined;
  const [key, setKey] = useState(quiz?.key ?? '');
  const [owner, setOwner] = useState(quiz?.owner ?? '');
  const [draft, setDraft] = useState<QuizDraft>(() => (quiz ? draftOf(quiz.definition) : emptyQuiz()));
  const [failure, setFailure] = useState<{ text: string; issues: FieldIssue[] }>();
  const [saving, setSaving] = useState(false);

  const edit = (next: QuizDraft) => {
    setDraft(next);
    setFailure(undefined);
  };
  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    setSaving(true);
    try {
      const definition = definitionOf(draft);
      const saved = creating
        ? await api<QuizCard>('POST', '/quizzes', { key, owner, definition })
        : await api<QuizCard>('PUT', `/quizzes/${encodeURIComponent(quiz.key)}`, { owner, definition });
      onSaved(saved, quiz?.version);
    } catch (error) {
      setFailure({ text: describeError(error), issues: issuesOf(error) });
    } finally {
      setSaving(false);
    }
  };
  const issues = failure?.issues ?? [];
  const known = new Set(fieldPaths(draft, creating));
  const unplaced = issues.filter((issue) => !known.has(issue.path));

  return (
    <form className="card" aria-labelledby={`${id}-title`} onSubmit={save}>
      <h2 id={`${id}-title`}>{creating ? 'New quiz' : `Edit ${quiz.key}`}</h2>
      {!creating && (
        <p className="muted" role="note">
          This is version {quiz.version}. Saving a changed definition makes version {quiz.version + 1}; from then on answers to version{' '}
          {quiz.version} are refused (<code>quiz_version_expired</code>) and clients reload the quiz. Changing only the owner keeps the
          version.
        </p>
      )}
      <FieldIssuesProvider value={issues}>
        {creating && (
          <TextField
            id={`${id}-key`}
            label="Quiz key"
            value={key}
            onChange={setKey}
            at="key"
            hint="a lower-case letter, then lower-case letters, digits, _ or -"
          />
        )}
        <TextField id={`${id}-owner`} label="Quiz owner" value={owner} onChange={setOwner} at="owner" />
        <TextField
          id={`${id}-title-field`}
          label="Quiz title"
          value={draft.title}
          onChange={(title) => edit({ ...draft, title })}
          at="definition.title"
        />
        <FieldErrors at="definition" exact />
        <FieldErrors at="definition.questions" exact />
        {draft.questions.map((question, index) => (
          <QuestionEditor
            key={index}
            index={index}
            count={draft.questions.length}
            question={question}
            onChange={(next) => edit({ ...draft, questions: replaced(draft.questions, index, next) })}
            onMove={(by) => edit({ ...draft, questions: moved(draft.questions, index, by) })}
            onRemove={() => edit({ ...draft, questions: removed(draft.questions, index) })}
          />
        ))}
      </FieldIssuesProvider>
      <div className="actions">
        <button type="button" onClick={() => edit({ ...draft, questions: [...draft.questions, emptyQuestion()] })}>
          Add question
        </button>
        <button type="submit" className="primary" disabled={saving}>
          {creating ? 'Create quiz' : 'Save quiz'}
        </button>
      </div>
      {failure && (
        <p role="alert">
          {failure.issues.length === 0
            ? failure.text
            : unplaced.length > 0
              ? unplaced.map((issue) => `${issue.path}: ${issue.message}`).join('; ')
              : 'Not saved: see the problems under the fields.'}
        </p>
      )}
    </form>
  );
}

function TextField(props: { id: string; label: string; value: string; onChange: (value: string) => void; at: string; hint?: string }) {
  return (
    <div className="form-row">
      <label htmlFor={props.id}>{props.label}</label>
      <input id={props.id} value={props.value} onChange={(event) => props.onChange(event.target.value)} />
      {props.hint && <small className="muted">{props.hint}</small>}
      <FieldErrors at={props.at} exact />
    </div>
  );
}

interface QuestionEditorProps {
  index: number;
  count: number;
  question: QuestionDraft;
  onChange: (next: QuestionDraft) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}

function QuestionEditor({ index, count, question, onChange, onMove, onRemove }: QuestionEditorProps) {
  const id = useId();
  const name = `Question ${index + 1}`;
  const at = `definition.questions.${index}`;
  const set = <K extends keyof QuestionDraft>(field: K, value: QuestionDraft[K]) => onChange({ ...question, [field]: value });
  const text = (field: 'id' | 'text' | 'trait' | 'min' | 'max', label: string, hint?: string) => (
    <TextField
      id={`${id}-${field}`}
      label={`${name} ${label}`}
      value={question[field]}
      onChange={(value) => set(field, value)}
      at={`${at}.${field}`}
      hint={hint}
    />
  );
  return (
    <fieldset className="condition" aria-label={name}>
      <legend>{name}</legend>
      <FieldErrors at={at} exact />
      {text('id', 'id', 'what answers name it by: a letter, then letters, digits, _ or -')}
      {text('text', 'text')}
      <div className="form-row">
        <label htmlFor={`${id}-kind`}>{name} kind</label>
        <select id={`${id}-kind`} value={question.kind} onChange={(event) => set('kind', event.target.value as QuestionDraft['kind'])}>
          {QUESTION_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {KIND_LABELS[kind]}
            </option>
          ))}
        </select>
        <FieldErrors at={`${at}.kind`} exact />
      </div>
      <div className="form-row">
        <label>
          <input type="checkbox" checked={question.required} onChange={(event) => set('required', event.target.checked)} /> {name} required
        </label>
      </div>
      {text(
        'trait',
        'trait',
        question.kind === 'number'
          ? 'the profile trait the number is stored in'
          : question.kind === 'single'
            ? 'set to the chosen option’s value, unless the option sets its own trait'
            : 'options without a trait of their own are gathered into a list here',
      )}
      {question.kind === 'number' ? (
        <div className="inline-fields">
          {text('min', 'minimum')}
          {text('max', 'maximum')}
        </div>
      ) : (
        <OptionsEditor question={question} name={name} at={at} onChange={(options) => set('options', options)} />
      )}
      <div className="actions">
        <button type="button" onClick={() => onMove(-1)} disabled={index === 0} aria-label={`Move ${name} up`}>
          Up
        </button>
        <button type="button" onClick={() => onMove(1)} disabled={index === count - 1} aria-label={`Move ${name} down`}>
          Down
        </button>
        <button type="button" onClick={onRemove} disabled={count === 1} aria-label={`Remove ${name}`}>
          Remove question
        </button>
      </div>
    </fieldset>
  );
}

function OptionsEditor(props: { question: QuestionDraft; name: string; at: string; onChange: (options: OptionDraft[]) => void }) {
  const { question, name, at, onChange } = props;
  const id = useId();
  const options = question.options;
  return (
    <div className="field">
      <FieldErrors at={`${at}.options`} exact />
      <table aria-label={`${name} options`}>
        <thead>
          <tr>
            <th scope="col">Value</th>
            <th scope="col">Label</th>
            <th scope="col">Sets trait</th>
            <th scope="col">To</th>
            <th scope="col">
              <span className="sr-only">Order and removal</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {options.map((option, index) => {
            const label = `${name} option ${index + 1}`;
            const optionAt = `${at}.options.${index}`;
            const cell = (field: keyof OptionDraft, what: string, placeholder?: string) => (
              <td>
                <input
                  id={`${id}-${index}-${field}`}
                  aria-label={`${label} ${what}`}
                  value={option[field]}
                  placeholder={placeholder}
                  onChange={(event) => onChange(replaced(options, index, { ...option, [field]: event.target.value }))}
                />
                <FieldErrors at={`${optionAt}.${field}`} exact />
              </td>
            );
            return (
              <tr key={index}>
                {cell('value', 'value')}
                {cell('label', 'label', 'the value')}
                {cell('trait', 'trait', question.trait || 'the question’s trait')}
                {cell('traitValue', 'trait value', question.kind === 'multi' ? 'true' : 'the value')}
                <td>
                  <FieldErrors at={optionAt} exact />
                  <button
                    type="button"
                    onClick={() => onChange(moved(options, index, -1))}
                    disabled={index === 0}
                    aria-label={`Move ${label} up`}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    onClick={() => onChange(moved(options, index, 1))}
                    disabled={index === options.length - 1}
                    aria-label={`Move ${label} down`}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    onClick={() => onChange(removed(options, index))}
                    disabled={options.length === 1}
                    aria-label={`Remove ${label}`}
                  >
                    ✕
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <small className="muted">
        A trait value of <code>true</code>, <code>false</code> or a number is stored as such; anything else as text.
      </small>
      <div className="actions">
        <button type="button" onClick={() => onChange([...options, emptyOption()])} aria-label={`Add an option to ${name}`}>
          Add option
        </button>
      </div>
    </div>
  );
}
