import { answersToTraits } from './answers-to-traits';
import { parseQuizDefinition, QuizDefinitionException } from './quiz-definition.schema';

const quiz = parseQuizDefinition({
  title: 'Shopping style',
  questions: [
    {
      id: 'budget',
      text: 'What matters most?',
      kind: 'single',
      required: true,
      trait: 'priority',
      options: [{ value: 'price', trait: 'price_sensitive', traitValue: true }, { value: 'quality' }],
    },
    {
      id: 'values',
      text: 'What do you care about?',
      kind: 'multi',
      trait: 'interests',
      options: [{ value: 'eco', trait: 'eco_conscious' }, { value: 'gifts' }, { value: 'sport' }],
    },
    { id: 'age', text: 'Your age?', kind: 'number', trait: 'age', min: 13, max: 120 },
  ],
});

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseQuizDefinition(raw);
  } catch (error) {
    if (error instanceof QuizDefinitionException) return error.issues;
    throw error;
  }
  throw new Error('expected the definition to be refused');
}

describe('parseQuizDefinition', () => {
  it('defaults required to false and keeps the questions in order', () => {
    expect(quiz.questions.map((question) => [question.id, question.required])).toEqual([
      ['budget', true],
      ['values', false],
      ['age', false],
    ]);
  });

  it.each([
    [{ title: 'x', questions: [] }, 'questions'],
    [{ title: 'x', questions: [{ id: 'q', text: 't', kind: 'number' }] }, 'questions.0.trait'],
    [{ title: 'x', questions: [{ id: 'q', text: 't', kind: 'single', trait: 'a' }] }, 'questions.0.options'],
    [{ title: 'x', questions: [{ id: 'q', text: 't', kind: 'single', options: [{ value: 'a' }] }] }, 'questions.0.options.0.trait'],
    [
      { title: 'x', questions: [{ id: 'q', text: 't', kind: 'single', trait: 't', options: [{ value: 'a' }, { value: 'a' }] }] },
      'questions.0.options.1.value',
    ],
    [
      { title: 'x', questions: [{ id: 'q', text: 't', kind: 'single', trait: 't', options: [{ value: 'a', traitValue: 1 }] }] },
      'questions.0.options.0.traitValue',
    ],
    [{ title: 'x', questions: [{ id: 'q', text: 't', kind: 'number', trait: 'n', min: 5, max: 1 }] }, 'questions.0.max'],
    [
      {
        title: 'x',
        questions: [
          { id: 'q', text: 't', kind: 'number', trait: 'n' },
          { id: 'q', text: 't', kind: 'number', trait: 'm' },
        ],
      },
      'questions.1.id',
    ],
    [
      {
        title: 'x',
        questions: [
          { id: 'q', text: 't', kind: 'number', trait: 'n' },
          { id: 'r', text: 't', kind: 'number', trait: 'n' },
        ],
      },
      'questions.1',
    ],
    [{ title: 'x', questions: [{ id: 'q', text: 't', kind: 'rating', trait: 'n' }] }, 'questions.0.kind'],
    [{ title: 'x', questions: [{ id: 'q', text: 't', kind: 'number', trait: 'bad key' }] }, 'questions.0.trait'],
  ])('refuses %j naming %s', (raw, path) => {
    expect(issuesOf(raw).map((issue) => issue.path)).toContain(path);
  });
});

describe('answersToTraits', () => {
  it('maps each kind of answer to the traits it sets', () => {
    expect(answersToTraits(quiz, { budget: 'price', values: ['sport', 'eco', 'gifts'], age: 40 })).toEqual({
      ok: true,
      traits: { price_sensitive: true, eco_conscious: true, interests: ['gifts', 'sport'], age: 40 },
    });
    expect(answersToTraits(quiz, { budget: 'quality', values: null })).toEqual({ ok: true, traits: { priority: 'quality' } });
  });

  it('names the question of every problem', () => {
    const result = answersToTraits(quiz, { values: ['eco', 'cars', 'eco'], age: 7, colour: 'red' });
    expect(result).toEqual({
      ok: false,
      problems: [
        { question: 'colour', reason: 'is not a question of this quiz version' },
        { question: 'budget', reason: 'is required' },
        { question: 'values', reason: '"cars" is not an option' },
        { question: 'age', reason: 'must be at least 13' },
      ],
    });
  });

  it.each([
    [{ budget: 'cheap' }, 'budget', '"cheap" is not an option'],
    [{ budget: ['price'] }, 'budget', 'must be one option value (a string)'],
    [{ budget: 'price', values: ['eco', 'eco'] }, 'values', 'repeats "eco"'],
    [{ budget: 'price', values: 'eco' }, 'values', 'must be an array of option values (strings)'],
    [{ budget: 'price', age: '40' }, 'age', 'must be a finite number'],
    [{ budget: 'price', age: 121 }, 'age', 'must be at most 120'],
  ])('%j → %s %s', (answers, question, reason) => {
    expect(answersToTraits(quiz, answers)).toEqual({ ok: false, problems: [{ question, reason }] });
  });

  it('refuses answers that are not an object', () => {
    expect(answersToTraits(quiz, ['price'])).toMatchObject({ ok: false });
  });
});
