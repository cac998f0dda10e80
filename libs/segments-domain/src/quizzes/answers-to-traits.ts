import type { QuizDefinition, QuizQuestion, QuizTraitValue } from './quiz-definition.schema';

/** Trait values an answer sets: a scalar, or (multi questions with a question-level trait) the chosen values. */
export type QuizTraits = Record<string, QuizTraitValue | string[]>;

export interface QuizAnswerProblem {
  /** The question id the problem is about (for an answer to an unknown question, the id sent). */
  question: string;
  reason: string;
}

export type QuizAnswersResult = { ok: true; traits: QuizTraits } | { ok: false; problems: QuizAnswerProblem[] };

/**
 * Checks one submission against a quiz version and returns the traits it sets, or every problem,
 * each naming its question: an answer to an unknown question, an unknown option, a repeated option,
 * a wrong type, a number out of range, a missing required answer. `null` counts as no answer.
 * Pure and total: nothing is written by the caller unless `ok`.
 *
 * @example answersToTraits(quiz, { budget: 'price' }) // → { ok: true, traits: { price_sensitive: true } }
 */
export function answersToTraits(quiz: QuizDefinition, answers: unknown): QuizAnswersResult {
  if (answers === null || typeof answers !== 'object' || Array.isArray(answers))
    return { ok: false, problems: [{ question: '', reason: 'answers must be an object of question id to answer' }] };
  const given = answers as Record<string, unknown>;
  const byId = new Map(quiz.questions.map((question) => [question.id, question]));
  const problems: QuizAnswerProblem[] = Object.keys(given)
    .filter((id) => !byId.has(id))
    .sort()
    .map((id) => ({ question: id, reason: 'is not a question of this quiz version' }));
  const traits: QuizTraits = {};
  for (const question of quiz.questions) {
    const answer = Object.prototype.hasOwnProperty.call(given, question.id) ? given[question.id] : undefined;
    if (answer === undefined || answer === null) {
      if (question.required) problems.push({ question: question.id, reason: 'is required' });
      continue;
    }
    const problem = landAnswer(question, answer, traits);
    if (problem) problems.push({ question: question.id, reason: problem });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, traits };
}

function landAnswer(question: QuizQuestion, answer: unknown, traits: QuizTraits): string | undefined {
  switch (question.kind) {
    case 'number': {
      if (typeof answer !== 'number' || !Number.isFinite(answer)) return 'must be a finite number';
      if (question.min !== undefined && answer < question.min) return `must be at least ${question.min}`;
      if (question.max !== undefined && answer > question.max) return `must be at most ${question.max}`;
      traits[question.trait as string] = answer;
      return undefined;
    }
    case 'single': {
      if (typeof answer !== 'string') return 'must be one option value (a string)';
      const option = question.options?.find((candidate) => candidate.value === answer);
      if (!option) return `"${answer}" is not an option`;
      traits[(option.trait ?? question.trait) as string] = option.traitValue ?? option.value;
      return undefined;
    }
    case 'multi': {
      if (!Array.isArray(answer) || answer.some((value) => typeof value !== 'string')) return 'must be an array of option values (strings)';
      const chosen = new Set<string>();
      for (const value of answer as string[]) {
        if (!question.options?.some((option) => option.value === value)) return `"${value}" is not an option`;
        if (chosen.has(value)) return `repeats "${value}"`;
        chosen.add(value);
      }
      if (question.required && chosen.size === 0) return 'is required (choose at least one option)';
      const gathered: string[] = [];
      for (const option of question.options ?? []) {
        if (option.trait !== undefined) {
          if (chosen.has(option.value)) traits[option.trait] = option.traitValue ?? true;
        } else if (chosen.has(option.value)) gathered.push(option.value);
      }
      if (question.trait !== undefined) traits[question.trait] = gathered;
      return undefined;
    }
  }
}
