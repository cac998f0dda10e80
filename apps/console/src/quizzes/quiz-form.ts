/**
 * The quiz editor's form state and its conversion to and from the API's definition
 * (libs/segments-domain `quiz-definition.schema.ts`). Inputs are text as typed; `definitionOf` leaves
 * out what is empty and sends anything else as typed, so the API's 400 names the field a mistake is in
 * (`definition.questions.0.min: Expected number`) rather than the console guessing.
 */

export const QUESTION_KINDS = ['single', 'multi', 'number'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];
export type TraitValue = string | number | boolean;

export interface OptionDefinition {
  value: string;
  label?: string;
  trait?: string;
  traitValue?: TraitValue;
}

export interface QuestionDefinition {
  id: string;
  text: string;
  kind: QuestionKind;
  required: boolean;
  trait?: string;
  options?: OptionDefinition[];
  /** Text only on the way out, when typed as something that is not a number (the API refuses it, naming the field). */
  min?: number | string;
  max?: number | string;
}

export interface QuizDefinition {
  title: string;
  questions: QuestionDefinition[];
}

export interface OptionDraft {
  value: string;
  label: string;
  trait: string;
  /** `true` / `false` and numbers are sent as such; anything else as text. */
  traitValue: string;
}

export interface QuestionDraft {
  id: string;
  text: string;
  kind: QuestionKind;
  required: boolean;
  trait: string;
  options: OptionDraft[];
  min: string;
  max: string;
}

export interface QuizDraft {
  title: string;
  questions: QuestionDraft[];
}

export const emptyOption = (): OptionDraft => ({ value: '', label: '', trait: '', traitValue: '' });

export const emptyQuestion = (): QuestionDraft => ({
  id: '',
  text: '',
  kind: 'single',
  required: false,
  trait: '',
  options: [emptyOption()],
  min: '',
  max: '',
});

export const emptyQuiz = (): QuizDraft => ({ title: '', questions: [emptyQuestion()] });

/** A stored definition as the form shows it. */
export function draftOf(definition: QuizDefinition): QuizDraft {
  return {
    title: definition.title,
    questions: definition.questions.map((question) => ({
      id: question.id,
      text: question.text,
      kind: question.kind,
      required: question.required,
      trait: question.trait ?? '',
      options: (question.options ?? []).map((option) => ({
        value: option.value,
        label: option.label ?? '',
        trait: option.trait ?? '',
        traitValue: option.traitValue === undefined ? '' : String(option.traitValue),
      })),
      min: question.min === undefined ? '' : String(question.min),
      max: question.max === undefined ? '' : String(question.max),
    })),
  };
}

/** What the form sends: empty fields left out; options only for single / multi, bounds only for number. */
export function definitionOf(draft: QuizDraft): QuizDefinition {
  return {
    title: draft.title,
    questions: draft.questions.map((question) => ({
      id: question.id,
      text: question.text,
      kind: question.kind,
      required: question.required,
      ...(question.trait.trim() !== '' ? { trait: question.trait.trim() } : {}),
      ...(question.kind === 'number'
        ? { ...bound('min', question.min), ...bound('max', question.max) }
        : { options: question.options.map(optionOf) }),
    })),
  };
}

function optionOf(option: OptionDraft): OptionDefinition {
  return {
    value: option.value,
    ...(option.label !== '' ? { label: option.label } : {}),
    ...(option.trait.trim() !== '' ? { trait: option.trait.trim() } : {}),
    ...(option.traitValue !== '' ? { traitValue: traitValueOf(option.traitValue) } : {}),
  };
}

/** `true` / `false` → boolean, a decimal number → number, anything else → the text. */
export function traitValueOf(typed: string): TraitValue {
  if (typed === 'true') return true;
  if (typed === 'false') return false;
  return /^-?\d+(\.\d+)?$/.test(typed.trim()) ? Number(typed) : typed;
}

// A bound that is not a number is sent as typed: the API's 400 names it.
function bound(name: 'min' | 'max', typed: string): Record<string, number | string> {
  if (typed.trim() === '') return {};
  const value = Number(typed);
  return { [name]: Number.isFinite(value) ? value : typed };
}

/** The list with the element at `index` moved by `by` (−1 up, +1 down); unchanged at the ends. */
export function moved<T>(list: readonly T[], index: number, by: -1 | 1): T[] {
  const target = index + by;
  if (target < 0 || target >= list.length) return [...list];
  const next = [...list];
  [next[index], next[target]] = [next[target], next[index]];
  return next;
}

/** `list` with `index` replaced by `value`. */
export const replaced = <T>(list: readonly T[], index: number, value: T): T[] => list.map((item, at) => (at === index ? value : item));

/** `list` without `index`. */
export const removed = <T>(list: readonly T[], index: number): T[] => list.filter((_, at) => at !== index);

/** Every path of the definition a field of the form shows problems for (what is not among them goes to the page's alert). */
export function fieldPaths(draft: QuizDraft, creating: boolean): string[] {
  const paths = ['owner', 'definition', 'definition.title', 'definition.questions', ...(creating ? ['key'] : [])];
  draft.questions.forEach((question, index) => {
    const at = `definition.questions.${index}`;
    paths.push(at, `${at}.id`, `${at}.text`, `${at}.kind`, `${at}.required`, `${at}.trait`, `${at}.options`, `${at}.min`, `${at}.max`);
    question.options.forEach((_, option) =>
      paths.push(
        `${at}.options.${option}`,
        ...['value', 'label', 'trait', 'traitValue'].map((field) => `${at}.options.${option}.${field}`),
      ),
    );
  });
  return paths;
}
