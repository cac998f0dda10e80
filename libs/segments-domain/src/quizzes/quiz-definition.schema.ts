import { z } from 'zod';
import { jsonNestingProblem } from '../rules/json-nesting';

/**
 * A survey or quiz (issue #24): questions, their answer options and the profile trait each answer
 * sets. One version of a quiz is one such definition; versions are immutable (libs/segments-service).
 *
 * ```json
 * { "title": "Shopping style",
 *   "questions": [
 *     { "id": "budget", "text": "What matters most?", "kind": "single", "required": true,
 *       "options": [{ "value": "price", "trait": "price_sensitive", "traitValue": true },
 *                   { "value": "quality", "trait": "price_sensitive", "traitValue": false }] },
 *     { "id": "age", "text": "Your age?", "kind": "number", "required": false, "trait": "age", "min": 13, "max": 120 } ] }
 * ```
 *
 * Where an answer lands (`answersToTraits`):
 * - `single`: the chosen option's `trait` (else the question's) is set to the option's `traitValue`
 *   (else its `value`);
 * - `multi`: an option with its own `trait` sets it to its `traitValue` (else `true`); options without
 *   one are gathered, in definition order, into an array under the question's `trait`;
 * - `number`: the question's `trait` is set to the number (within `min`/`max` when given).
 * Every option has a trait to land on (its own or the question's), and no two questions write the
 * same trait key, so the traits of a submission never depend on the order of its answers.
 */

export const QUIZ_KINDS = ['single', 'multi', 'number'] as const;
export type QuizQuestionKind = (typeof QUIZ_KINDS)[number];
export type QuizTraitValue = string | number | boolean;

export interface QuizOption {
  value: string;
  label?: string;
  trait?: string;
  traitValue?: QuizTraitValue;
}

export interface QuizQuestion {
  id: string;
  text: string;
  kind: QuizQuestionKind;
  required: boolean;
  trait?: string;
  options?: QuizOption[];
  min?: number;
  max?: number;
}

export interface QuizDefinition {
  title: string;
  questions: QuizQuestion[];
}

export const QUIZ_LIMITS = { maxQuestions: 100, maxOptions: 100, maxTextLength: 2_000 } as const;

/** A quiz key and a question id: what URLs and answer payloads name them by. */
export const QUIZ_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const QUESTION_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
/** Trait keys the answers set: top-level keys of `profiles.traits`, like any identify trait. */
const TRAIT_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const quizKeySchema = z
  .string()
  .regex(QUIZ_KEY_PATTERN, 'must be 1-63 characters: a lower-case letter, then lower-case letters, digits, _ or -');
const traitKey = z.string().regex(TRAIT_PATTERN, 'must be 1-63 characters: a letter or _, then letters, digits or _');
const text = z.string().min(1).max(QUIZ_LIMITS.maxTextLength);

const optionSchema = z
  .object({
    value: z.string().min(1).max(200),
    label: z.string().max(QUIZ_LIMITS.maxTextLength).optional(),
    trait: traitKey.optional(),
    traitValue: z.union([z.string().max(QUIZ_LIMITS.maxTextLength), z.number().finite(), z.boolean()]).optional(),
  })
  .strict();

const questionSchema = z
  .object({
    id: z.string().regex(QUESTION_ID_PATTERN, 'must be 1-63 characters: a letter, then letters, digits, _ or -'),
    text,
    kind: z.enum(QUIZ_KINDS),
    required: z.boolean().default(false),
    trait: traitKey.optional(),
    options: z.array(optionSchema).min(1).max(QUIZ_LIMITS.maxOptions).optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
  })
  .strict()
  .superRefine((question, context) => {
    const issue = (path: (string | number)[], message: string) => context.addIssue({ code: 'custom', path, message });
    if (question.kind === 'number') {
      if (question.options !== undefined) issue(['options'], 'must be absent for a number question');
      if (question.trait === undefined) issue(['trait'], 'is required for a number question');
      if (question.min !== undefined && question.max !== undefined && question.min > question.max) issue(['max'], 'must be at least min');
      return;
    }
    if (question.min !== undefined) issue(['min'], `must be absent for a ${question.kind} question`);
    if (question.max !== undefined) issue(['max'], `must be absent for a ${question.kind} question`);
    if (question.options === undefined) {
      issue(['options'], `is required for a ${question.kind} question`);
      return;
    }
    const seen = new Set<string>();
    question.options.forEach((option, index) => {
      if (seen.has(option.value)) issue(['options', index, 'value'], `repeats "${option.value}"`);
      seen.add(option.value);
      if (option.trait === undefined && question.trait === undefined)
        issue(['options', index, 'trait'], 'is required when the question has no trait');
      if (option.trait === undefined && option.traitValue !== undefined)
        issue(['options', index, 'traitValue'], 'needs the option’s own trait');
    });
  });

export const quizDefinitionSchema = z
  .object({ title: text, questions: z.array(questionSchema).min(1).max(QUIZ_LIMITS.maxQuestions) })
  .strict()
  .superRefine((quiz, context) => {
    const ids = new Set<string>();
    const traitOwner = new Map<string, string>();
    quiz.questions.forEach((question, index) => {
      if (ids.has(question.id)) context.addIssue({ code: 'custom', path: ['questions', index, 'id'], message: `repeats "${question.id}"` });
      ids.add(question.id);
      const traits = new Set([question.trait, ...(question.options ?? []).map((option) => option.trait)]);
      for (const trait of traits) {
        if (trait === undefined) continue;
        const owner = traitOwner.get(trait);
        if (owner !== undefined && owner !== question.id)
          context.addIssue({
            code: 'custom',
            path: ['questions', index],
            message: `sets trait "${trait}", already set by question "${owner}"`,
          });
        else traitOwner.set(trait, question.id);
      }
    });
  }) as z.ZodType<QuizDefinition>;

export interface QuizDefinitionIssue {
  /** Dot path inside the definition (empty for the root), e.g. `questions.1.options.0.trait`. */
  path: string;
  message: string;
}

export class QuizDefinitionException extends Error {
  constructor(readonly issues: QuizDefinitionIssue[]) {
    super(`invalid quiz definition: ${issues.map((issue) => `${issue.path || '(root)'} ${issue.message}`).join('; ')}`);
    this.name = 'QuizDefinitionException';
  }
}

/**
 * Validates raw JSON into a quiz definition.
 * @throws {QuizDefinitionException} naming the path and the reason of every problem.
 * @example parseQuizDefinition({ title: 'Age', questions: [{ id: 'age', text: 'Age?', kind: 'number', trait: 'age' }] })
 */
export function parseQuizDefinition(raw: unknown): QuizDefinition {
  const tooDeep = jsonNestingProblem(raw);
  if (tooDeep) throw new QuizDefinitionException([tooDeep]);
  const result = quizDefinitionSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new QuizDefinitionException(result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
}
