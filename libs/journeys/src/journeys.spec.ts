import { EntryPosition, factsNeeded, JourneyDefinition, nextJourneyAction, StepFacts, validateJourneyDefinition } from './index';

const SEGMENT = '11111111-1111-4111-8111-111111111111';
const DESTINATION = '22222222-2222-4222-8222-222222222222';
const T0 = new Date('2026-12-01T00:00:00Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

/** The escalating win-back: offer 1, wait a day, offer 2, wait a day, offer 3. */
const escalating: JourneyDefinition = {
  entrySegmentId: SEGMENT,
  goal: { event: 'Order Completed', withinDays: 14 },
  holdoutShare: 0.2,
  reEntry: { mode: 'once' },
  steps: [
    { id: 'offer1', type: 'send', destination: DESTINATION, message: { subject: '10% off' } },
    { id: 'wait1', type: 'wait', seconds: 86400 },
    { id: 'offer2', type: 'send', destination: DESTINATION, message: { subject: '20% off' } },
    { id: 'wait2', type: 'wait', seconds: 86400 },
    { id: 'offer3', type: 'send', destination: DESTINATION, message: { subject: '30% off' } },
  ],
};

const branching: JourneyDefinition = {
  ...escalating,
  steps: [
    { id: 'ask', type: 'wait_until', event: 'Email Opened', timeoutSeconds: 3600, onTimeout: 'nudge' },
    { id: 'vip', type: 'branch', condition: { inSegment: SEGMENT }, then: 'ads', else: 'bye' },
    { id: 'ads', type: 'audience', destination: DESTINATION, action: 'add' },
    { id: 'bye', type: 'exit' },
    { id: 'nudge', type: 'send', destination: DESTINATION, message: { text: 'hello?' } },
  ],
};

const treated = (stepIndex: number, state: EntryPosition['state'] = 'active', waitStartedAt: Date | null = null): EntryPosition => ({
  arm: 'treatment',
  enteredAt: T0,
  stepIndex,
  state,
  waitStartedAt,
});
const none: StepFacts = { goalReached: false };

describe('nextJourneyAction', () => {
  it('executes a send step and points at the next step', () => {
    expect(nextJourneyAction(escalating, treated(0), none, T0)).toEqual({ kind: 'execute', step: escalating.steps[0], next: 1 });
  });

  it.each([0, 1, 2, 3, 4])('exits goal_reached before step %i once the goal event happened', (index) => {
    const waiting = escalating.steps[index].type === 'wait' ? treated(index, 'waiting', at(0)) : treated(index);
    expect(nextJourneyAction(escalating, waiting, { goalReached: true }, at(10 * 86400))).toEqual({ kind: 'exit', reason: 'goal_reached' });
  });

  it('starts a wait with its due time, then sleeps until it, then moves on', () => {
    expect(nextJourneyAction(escalating, treated(1), none, at(5))).toEqual({
      kind: 'start_wait',
      step: escalating.steps[1],
      dueAt: at(5 + 86400),
      wakeOn: null,
    });
    expect(nextJourneyAction(escalating, treated(1, 'waiting', at(5)), none, at(100))).toEqual({ kind: 'sleep', dueAt: at(5 + 86400) });
    expect(nextJourneyAction(escalating, treated(1, 'waiting', at(5)), none, at(5 + 86400))).toEqual({
      kind: 'move',
      stepId: 'wait1',
      to: 2,
      move: 'waited',
    });
  });

  it('completes after the last step', () => {
    expect(nextJourneyAction(escalating, treated(5), none, T0)).toEqual({ kind: 'exit', reason: 'completed' });
    expect(nextJourneyAction(escalating, treated(9), none, T0)).toEqual({ kind: 'exit', reason: 'completed' });
  });

  it('walks the escalating journey: three offers when nobody converts, one when the customer converts after offer 1', () => {
    const walk = (convertsAfterSeconds: number | null): string[] => {
      const executed: string[] = [];
      let position = treated(0);
      let now = T0;
      for (let guard = 0; guard < 20; guard++) {
        const goalReached = convertsAfterSeconds !== null && now.getTime() - T0.getTime() >= convertsAfterSeconds * 1000;
        const action = nextJourneyAction(escalating, position, { goalReached }, now);
        if (action.kind === 'exit') return [...executed, `exit:${action.reason}`];
        if (action.kind === 'execute') {
          executed.push(action.step.id);
          position = { ...position, stepIndex: action.next, state: 'active', waitStartedAt: null };
        } else if (action.kind === 'start_wait') {
          position = { ...position, state: 'waiting', waitStartedAt: now };
          now = action.dueAt;
        } else if (action.kind === 'move') position = { ...position, stepIndex: action.to, state: 'active', waitStartedAt: null };
        else now = action.dueAt;
      }
      throw new Error('did not finish');
    };
    expect(walk(null)).toEqual(['offer1', 'offer2', 'offer3', 'exit:completed']);
    expect(walk(3600)).toEqual(['offer1', 'exit:goal_reached']);
    expect(walk(86400 + 3600)).toEqual(['offer1', 'offer2', 'exit:goal_reached']);
  });

  it('wait_until: starts with the timeout as due time and wakes on its event', () => {
    expect(nextJourneyAction(branching, treated(0), none, at(0))).toEqual({
      kind: 'start_wait',
      step: branching.steps[0],
      dueAt: at(3600),
      wakeOn: 'Email Opened',
    });
    const waiting = treated(0, 'waiting', at(0));
    expect(nextJourneyAction(branching, waiting, { goalReached: false, awaitedEventSeen: true }, at(10))).toEqual({
      kind: 'move',
      stepId: 'ask',
      to: 1,
      move: 'event_seen',
    });
  });

  it('wait_until: woken by an event that does not count, sleeps until its timeout', () => {
    expect(nextJourneyAction(branching, treated(0, 'waiting', at(0)), { goalReached: false, awaitedEventSeen: false }, at(10))).toEqual({
      kind: 'sleep',
      dueAt: at(3600),
    });
  });

  it('wait_until: on timeout goes to onTimeout, or to the next step without one', () => {
    expect(nextJourneyAction(branching, treated(0, 'waiting', at(0)), none, at(3600))).toEqual({
      kind: 'move',
      stepId: 'ask',
      to: 4,
      move: 'timed_out',
    });
    const plain: JourneyDefinition = { ...branching, steps: [{ id: 'w', type: 'wait_until', event: 'x', timeoutSeconds: 60 }] };
    expect(nextJourneyAction(plain, treated(0, 'waiting', at(0)), none, at(61))).toEqual({
      kind: 'move',
      stepId: 'w',
      to: 1,
      move: 'timed_out',
    });
  });

  it('branch goes to then or else', () => {
    expect(nextJourneyAction(branching, treated(1), { goalReached: false, conditionHolds: true }, T0)).toEqual({
      kind: 'move',
      stepId: 'vip',
      to: 2,
      move: 'branched_then',
    });
    expect(nextJourneyAction(branching, treated(1), { goalReached: false, conditionHolds: false }, T0)).toEqual({
      kind: 'move',
      stepId: 'vip',
      to: 3,
      move: 'branched_else',
    });
  });

  it('an exit step exits exit_step; an audience step executes', () => {
    expect(nextJourneyAction(branching, treated(3), none, T0)).toEqual({ kind: 'exit', reason: 'exit_step', stepId: 'bye' });
    expect(nextJourneyAction(branching, treated(2), none, T0)).toMatchObject({ kind: 'execute', next: 3 });
  });

  it.each(['control', 'global_holdout'] as const)('a %s entry never executes a step: it waits for its goal window', (arm) => {
    const held: EntryPosition = { ...treated(0), arm };
    expect(nextJourneyAction(escalating, held, none, T0)).toEqual({ kind: 'sleep', dueAt: at(14 * 86400) });
    expect(nextJourneyAction(escalating, held, none, at(14 * 86400))).toEqual({ kind: 'exit', reason: 'completed' });
    expect(nextJourneyAction(escalating, held, { goalReached: true }, at(60))).toEqual({ kind: 'exit', reason: 'goal_reached' });
    for (let index = 0; index < escalating.steps.length; index++)
      expect(nextJourneyAction(escalating, { ...held, stepIndex: index }, none, at(index)).kind).not.toBe('execute');
  });
});

describe('factsNeeded', () => {
  it('asks for the goal always, the awaited event while waiting, the branch condition at a branch', () => {
    expect(factsNeeded(branching, treated(0))).toEqual({ goalEvent: 'Order Completed' });
    expect(factsNeeded(branching, treated(0, 'waiting', at(5)))).toEqual({
      goalEvent: 'Order Completed',
      awaitedEvent: { name: 'Email Opened', since: at(5) },
    });
    expect(factsNeeded(branching, treated(1))).toEqual({ goalEvent: 'Order Completed', condition: { inSegment: SEGMENT } });
    expect(factsNeeded(branching, { ...treated(1), arm: 'control' })).toEqual({ goalEvent: 'Order Completed' });
  });
});

describe('validateJourneyDefinition', () => {
  it('accepts and normalises a valid definition', () => {
    const result = validateJourneyDefinition({ ...branching, extra: 'dropped' });
    expect(result).toEqual({ ok: true, definition: branching });
  });

  const errorsOf = (input: unknown): { path: string; reason: string }[] => {
    const result = validateJourneyDefinition(input);
    if (result.ok) throw new Error('expected errors');
    return result.errors;
  };
  const withSteps = (steps: unknown[]): unknown => ({ ...escalating, steps });

  it.each([
    ['not an object', 42, '', 'must be an object'],
    ['no entry segment', { ...escalating, entrySegmentId: 'abc' }, 'entrySegmentId', 'uuid'],
    ['goal missing', { ...escalating, goal: undefined }, 'goal', 'object'],
    ['goal event empty', { ...escalating, goal: { event: ' ', withinDays: 3 } }, 'goal.event', 'event name'],
    ['goal days zero', { ...escalating, goal: { event: 'x', withinDays: 0 } }, 'goal.withinDays', 'whole number'],
    ['holdout too large', { ...escalating, holdoutShare: 0.6 }, 'holdoutShare', '0 to 0.5'],
    ['holdout negative', { ...escalating, holdoutShare: -0.1 }, 'holdoutShare', '0 to 0.5'],
    ['re-entry mode', { ...escalating, reEntry: { mode: 'always' } }, 'reEntry.mode', 'once'],
    ['re-entry days', { ...escalating, reEntry: { mode: 'after_days', days: 1.5 } }, 'reEntry.days', 'whole number'],
    ['steps not an array', { ...escalating, steps: {} }, 'steps', 'array'],
    ['empty steps', withSteps([]), 'steps', 'at least one step'],
    ['unknown type', withSteps([{ id: 'a', type: 'teleport' }]), 'steps[0].type', 'one of'],
    ['bad id', withSteps([{ id: 'a b', type: 'exit' }]), 'steps[0].id', 'letters'],
    ['wait seconds', withSteps([{ id: 'a', type: 'wait', seconds: 0 }]), 'steps[0].seconds', 'whole number'],
    ['send without message', withSteps([{ id: 'a', type: 'send', destination: DESTINATION }]), 'steps[0].message', 'object'],
    ['send destination', withSteps([{ id: 'a', type: 'send', destination: 'x', message: {} }]), 'steps[0].destination', 'uuid'],
    ['audience action', withSteps([{ id: 'a', type: 'audience', destination: DESTINATION, action: 'swap' }]), 'steps[0].action', "'add'"],
    [
      'wait_until timeout',
      withSteps([{ id: 'a', type: 'wait_until', event: 'x', timeoutSeconds: -1 }]),
      'steps[0].timeoutSeconds',
      'whole',
    ],
    [
      'unknown then',
      withSteps([
        { id: 'a', type: 'branch', condition: { eventSinceEntry: 'x' }, then: 'nowhere', else: 'b' },
        { id: 'b', type: 'exit' },
      ]),
      'steps[0].then',
      'unknown step id "nowhere"',
    ],
    [
      'backward jump',
      withSteps([
        { id: 'b', type: 'exit' },
        { id: 'a', type: 'branch', condition: { eventSinceEntry: 'x' }, then: 'b', else: 'b' },
      ]),
      'steps[1].then',
      'must jump forward',
    ],
    [
      'jump to itself',
      withSteps([{ id: 'a', type: 'wait_until', event: 'x', timeoutSeconds: 5, onTimeout: 'a' }]),
      'steps[0].onTimeout',
      'must jump forward',
    ],
    [
      'bad condition',
      withSteps([
        { id: 'a', type: 'branch', condition: { foo: 1 }, then: 'b', else: 'b' },
        { id: 'b', type: 'exit' },
      ]),
      'steps[0].condition',
      'inSegment',
    ],
    [
      'duplicate ids',
      withSteps([
        { id: 'a', type: 'exit' },
        { id: 'a', type: 'wait', seconds: 5 },
      ]),
      'steps[1].id',
      'duplicate step id "a" (also steps[0])',
    ],
  ])('%s → names the path', (_name, input, path, reason) => {
    const errors = errorsOf(input);
    expect(errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, reason: expect.stringContaining(reason) })]));
  });

  it('lists every problem at once', () => {
    const errors = errorsOf({ entrySegmentId: 1, goal: 2, holdoutShare: 'x', reEntry: null, steps: [] });
    expect(errors.map((error) => error.path).sort()).toEqual(['entrySegmentId', 'goal', 'holdoutShare', 'reEntry', 'steps']);
  });
});
