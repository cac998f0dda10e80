import { definitionOf, draftOf, emptyQuestion, fieldPaths, moved, QuizDefinition, traitValueOf } from './quiz-form';

// Every kind and every optional field of libs/segments-domain's quiz definition, as the API stores it
// (console sources may not import libraries; e2e/quiz-editor.e2e.spec.ts saves through the API, which parses it).
const STORED: QuizDefinition = {
  title: 'Shopping style',
  questions: [
    {
      id: 'budget',
      text: 'What matters most?',
      kind: 'single',
      required: true,
      trait: 'priority',
      options: [{ value: 'price', label: 'Low prices', trait: 'price_sensitive', traitValue: true }, { value: 'quality' }],
    },
    {
      id: 'values',
      text: 'What do you care about?',
      kind: 'multi',
      required: false,
      trait: 'interests',
      options: [
        { value: 'eco', trait: 'eco_score', traitValue: 3 },
        { value: 'gifts' },
        { value: 'local', trait: 'origin', traitValue: 'local' },
      ],
    },
    { id: 'age', text: 'Your age?', kind: 'number', required: false, trait: 'age', min: 13, max: 120 },
  ],
};

describe('quiz form', () => {
  it('round-trips a stored definition of every kind through the form unchanged', () => {
    expect(definitionOf(draftOf(STORED))).toEqual(STORED);
  });

  it('leaves out what is empty: no trait, label or trait value, no bounds; options only for choices, bounds only for numbers', () => {
    const draft = draftOf(STORED);
    draft.questions[0].options[0] = { value: 'price', label: '', trait: ' ', traitValue: '' };
    draft.questions[2] = { ...draft.questions[2], min: '', max: '', options: [{ value: 'stale', label: '', trait: '', traitValue: '' }] };
    draft.questions.push({ ...emptyQuestion(), id: 'n', text: 'N?', kind: 'single', min: '3', trait: 'n' });
    const sent = definitionOf(draft);
    expect(sent.questions[0].options?.[0]).toEqual({ value: 'price' });
    expect(sent.questions[2]).toEqual({ id: 'age', text: 'Your age?', kind: 'number', required: false, trait: 'age' });
    expect(sent.questions[3]).toEqual({ id: 'n', text: 'N?', kind: 'single', required: false, trait: 'n', options: [{ value: '' }] });
  });

  it('sends a bound that is not a number as typed, so the API names it', () => {
    const draft = draftOf(STORED);
    draft.questions[2].min = 'ten';
    const sent = definitionOf(draft);
    expect(sent.questions[2].min).toBe('ten');
    expect(sent.questions[2].max).toBe(120);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['42', 42],
    ['-1.5', -1.5],
    ['1e3', '1e3'],
    ['True', 'True'],
    ['eco', 'eco'],
  ])('trait value %j is sent as %j', (typed, value) => {
    expect(traitValueOf(typed)).toBe(value);
  });

  it('moves an element up or down and leaves the list alone at its ends', () => {
    expect(moved(['a', 'b', 'c'], 1, -1)).toEqual(['b', 'a', 'c']);
    expect(moved(['a', 'b', 'c'], 1, 1)).toEqual(['a', 'c', 'b']);
    expect(moved(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moved(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c']);
  });

  it('knows the paths its fields show: the key only while creating, every question and option field', () => {
    const paths = fieldPaths(draftOf(STORED), true);
    expect(paths).toEqual(
      expect.arrayContaining(['key', 'owner', 'definition.title', 'definition.questions.1.options.2.traitValue', 'definition.questions.2']),
    );
    expect(fieldPaths(draftOf(STORED), false)).not.toContain('key');
  });
});
