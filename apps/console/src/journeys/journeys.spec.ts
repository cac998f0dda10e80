import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { ExclusionsEditor, splitSegmentRefs } from '../activations/exclusions-editor';
import { definitionOf, emptyForm, formOf, JourneyEditor, StepLevelErrors, unplacedIssues } from './journey-editor';
import { JourneyTotals, StepFlow } from './journey-page';
import { describeStep, draftOf, durationSeconds, durationText, moveStep, newStep, stepOf } from './journey-steps';
import { dottedPath, JourneyStep, JourneyView, liftForCard } from './journeys-api';
import { JourneysTable } from './journeys-list-page';
import { playsRequestOf, PlaysCreated } from './plays-page';

const winBackSteps: JourneyStep[] = [
  {
    id: 'offer_1',
    type: 'send',
    destination: 'd-mail',
    message: { subject: '10% off, just for you', text: 'We miss you!', footer: 'kept' },
  },
  { id: 'wait_1', type: 'wait', seconds: 3 * 86_400 },
  { id: 'back', type: 'branch', condition: { inSegment: 's-vip' }, then: 'done', else: 'offer_2' },
  { id: 'offer_2', type: 'send', destination: 'd-mail', message: { templateId: 'd-20off' } },
  { id: 'until', type: 'wait_until', event: 'Order Completed', timeoutSeconds: 7200, onTimeout: 'done' },
  { id: 'bought', type: 'branch', condition: { eventSinceEntry: 'Order Completed' }, then: 'done', else: 'done' },
  { id: 'done', type: 'exit' },
];

const journey: JourneyView = {
  id: 'j1',
  key: 'win_back',
  name: 'Win back',
  status: 'draft',
  currentVersion: 2,
  versions: [
    { version: 1, createdAt: '2026-12-01T00:00:00Z' },
    { version: 2, createdAt: '2026-12-02T00:00:00Z' },
  ],
  definition: {
    entrySegmentId: 's-dormant',
    goal: { event: 'Order Completed', withinDays: 14 },
    holdoutShare: 0.15,
    reEntry: { mode: 'after_days', days: 60 },
    steps: winBackSteps,
  },
};

describe('journey steps (console, issue #23)', () => {
  it('says each step type in words, naming destinations and segments when known', () => {
    const names = { destination: (id: string) => (id === 'd-mail' ? 'Mail' : id), segment: (id: string) => (id === 's-vip' ? 'vip' : id) };
    expect(winBackSteps.map((step) => describeStep(step, names))).toEqual([
      'Send through Mail: “10% off, just for you”',
      'Wait 3 days',
      'Branch: in segment vip → then done, else offer_2',
      'Send through Mail: “d-20off”',
      'Wait until “Order Completed”, at most 2 hours, then on timeout go to done',
      'Branch: did “Order Completed” since entry → then done, else done',
      'Exit',
    ]);
    expect(describeStep({ id: 'a', type: 'audience', destination: 'd-ads', action: 'remove' })).toBe('Remove from the audience of d-ads');
  });

  it('turns durations into seconds and back, leaving what is not one as typed for the API to refuse', () => {
    expect(durationText(259_200)).toBe('3 days');
    expect(durationText(5400)).toBe('90 minutes');
    expect(durationText(61)).toBe('61 seconds');
    expect(durationSeconds('3 days')).toBe(259_200);
    expect(durationSeconds('1.5 hours')).toBe(5400);
    expect(durationSeconds(' days')).toBe(' days');
    expect(durationSeconds('')).toBe('');
  });

  it('round-trips every stored step through the editor draft, keeping message fields the form does not draw', () => {
    expect(winBackSteps.map((step) => stepOf(draftOf(step)))).toEqual(winBackSteps);
    const draft = draftOf(winBackSteps[0]);
    expect(stepOf({ ...draft, values: { ...draft.values, 'message.text': '' } })).toEqual({
      id: 'offer_1',
      type: 'send',
      destination: 'd-mail',
      message: { subject: '10% off, just for you', footer: 'kept' },
    });
  });

  it('gives a new step the first free id of its type, and leaves empty optional fields out', () => {
    const first = newStep('send', []);
    const second = newStep('send', [first]);
    expect([first.id, second.id]).toEqual(['send_1', 'send_2']);
    expect(stepOf({ ...first, values: { ...first.values, destination: 'd1', 'message.text': 'Hi' } })).toEqual({
      id: 'send_1',
      type: 'send',
      destination: 'd1',
      message: { text: 'Hi' },
    });
    expect(stepOf(first)).toEqual({ id: 'send_1', type: 'send', destination: '', message: {} });
    expect(stepOf(newStep('audience', []))).toEqual({ id: 'audience_1', type: 'audience', destination: '', action: 'add' });
    // No condition chosen: left out, so the API names definition.steps[i].condition.
    expect(stepOf(newStep('branch', []))).toEqual({ id: 'branch_1', type: 'branch', then: '', else: '' });
  });

  it('moves a step up or down, and not past either end', () => {
    expect(moveStep(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moveStep(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveStep(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveStep(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c']);
  });
});

describe('journey editor form (console, issue #23)', () => {
  it('loads a stored journey and sends back the same definition', () => {
    expect(definitionOf(formOf(journey))).toEqual(journey.definition);
  });

  it('sends numbers as numbers and anything else as typed, so the API names the field', () => {
    const form = {
      ...emptyForm(),
      entrySegmentId: 's1',
      goalEvent: 'Order Completed',
      goalWithinDays: 'two weeks',
      holdoutPercent: '12.5',
    };
    const definition = definitionOf(form);
    expect(definition.goal).toEqual({ event: 'Order Completed', withinDays: 'two weeks' });
    expect(definition.holdoutShare).toBe(0.125);
    expect(definition.reEntry).toEqual({ mode: 'once' });
    expect(definitionOf({ ...form, goalEvent: '', goalWithinDays: '' }).goal).toBeNull();
  });

  it('normalises the API paths and keeps only what no field shows for the alert', () => {
    expect(dottedPath('definition.steps[2].seconds')).toBe('definition.steps.2.seconds');
    expect(dottedPath('offers[0]')).toBe('offers.0');
    expect(
      unplacedIssues([
        { path: 'definition.steps.2.seconds', message: 'must be positive' },
        { path: 'key', message: 'taken' },
        { path: 'definition.version', message: 'unknown' },
      ]),
    ).toEqual([{ path: 'definition.version', message: 'unknown' }]);
  });

  it('shows what the API says about a step but no drawn field on the step card', () => {
    const html = renderToStaticMarkup(
      createElement(StepLevelErrors, {
        issues: [
          { path: 'definition.steps.1.seconds', message: 'must be positive' },
          { path: 'definition.steps.1', message: 'unreachable' },
          { path: 'definition.steps.1.extra', message: 'unknown field' },
        ],
        at: 'definition.steps.1',
        fields: ['id', 'type', 'seconds'],
      }),
    );
    expect(html).toContain('unreachable; extra: unknown field');
    expect(html).not.toContain('must be positive');
  });

  it('draws the form with one card per step, move buttons disabled at the ends, and the new-version note when editing', () => {
    const html = renderToStaticMarkup(
      createElement(JourneyEditor, {
        form: formOf(journey),
        onChange: () => undefined,
        editing: journey,
        segments: [],
        destinations: [],
      }),
    );
    expect(html).toContain('Saving makes version 3');
    expect(html.match(/class="step-card"/g)).toHaveLength(7);
    expect(html).toMatch(/<button type="button" class="link" disabled="" aria-label="Move step 1 up">/);
    expect(html).toMatch(/<button type="button" class="link" disabled="" aria-label="Move step 7 down">/);
    expect(html).toContain('<button type="button" class="link" aria-label="Move step 2 up">');
    expect(html).toContain('Save as a new version');
    expect(
      renderToStaticMarkup(createElement(JourneyEditor, { form: emptyForm(), onChange: () => undefined, segments: [], destinations: [] })),
    ).toContain('Create journey');
  });
});

describe('journey pages (console, issue #23)', () => {
  it('lists journeys with status, version, entry segment and counts', () => {
    const html = renderToStaticMarkup(
      createElement(JourneysTable, {
        journeys: [
          {
            id: 'j1',
            key: 'win_back',
            name: 'Win back',
            status: 'live',
            currentVersion: 2,
            entrySegment: { id: 's1', key: 'dormant' },
            entered: 1200,
            inFlight: 300,
            goalReached: 45,
          },
        ],
      }),
    );
    expect(html).toContain('href="#/journeys/win_back"');
    expect(html).toContain('<td>v2</td>');
    expect(html).toContain('href="#/segments/s1">dormant</a>');
    expect(html).toContain('<td class="number">1,200</td><td class="number">300</td><td class="number">45</td>');
    expect(renderToStaticMarkup(createElement(JourneysTable, { journeys: [] }))).toContain('No journeys yet');
  });

  it('draws the steps top to bottom with the counts of each', () => {
    const zero = {
      sent: 0,
      waiting: 0,
      branched: { then: 0, else: 0 },
      exited: 0,
      goalReached: 0,
      capped: 0,
      suppressed: 0,
      invalid: 0,
      heldOut: 0,
      skipped: 0,
    };
    const html = renderToStaticMarkup(
      createElement(StepFlow, {
        steps: winBackSteps.slice(0, 3),
        counts: [
          { ...zero, id: 'offer_1', type: 'send', entered: 100, sent: 80, capped: 5, suppressed: 9, invalid: 4, skipped: 2, failed: 0 },
          {
            ...zero,
            id: 'wait_1',
            type: 'wait',
            entered: 80,
            waiting: 70,
            goalReached: 3,
            waits: { waited: 10, eventSeen: 0, timedOut: 0 },
          },
          { ...zero, id: 'back', type: 'branch', entered: 10, branched: { then: 4, else: 6 }, heldOut: 2 },
        ],
      }),
    );
    expect([...html.matchAll(/aria-label="(Step \d: \w+)"/g)].map((match) => match[1])).toEqual([
      'Step 1: offer_1',
      'Step 2: wait_1',
      'Step 3: back',
    ]);
    // Always the type's own counts (a send's filters each apart: suppressed, invalid identifier, other skips); any other only when not zero.
    expect(html).toContain(
      '100 entered · 80 sent · 0 goal reached before it · 5 capped · 9 suppressed · 4 without a valid identifier · 2 skipped<',
    );
    expect(html).toContain('80 entered · 70 waiting · 10 waited · 3 goal reached before it<');
    expect(html).toContain('10 entered · 4 then · 6 else · 0 goal reached before it · 2 held out<');
    expect(renderToStaticMarkup(createElement(StepFlow, { steps: winBackSteps.slice(0, 1), counts: [] }))).toContain('no counts yet');
  });

  it('shows the totals', () => {
    const html = renderToStaticMarkup(
      createElement(JourneyTotals, {
        totals: { entered: 1000, treatment: 900, control: 100, globalHoldout: 0, inFlight: 250, goalReached: 60, completed: 5, exited: 1 },
      }),
    );
    expect(html).not.toContain('Global holdout');
    expect(html).toContain('<dt>Completed (no goal)</dt><dd>5</dd>');
    expect(html).toContain('<dt>Control (held out)</dt><dd>100</dd>');
    expect(html).toContain('<dt>In flight</dt><dd>250</dd>');
  });

  it('reads the lift as the activation card does, whether the API sends the whole result or the bare report', () => {
    const report = { arms: {}, notes: [] } as never;
    expect(liftForCard({ available: false, reason: 'too few members' }, 'j1', journey.definition.goal)).toEqual({
      reason: 'too few members',
    });
    const whole = liftForCard(
      { kpi: { event: 'Order Completed', windowDays: 14 }, asOf: '2026-12-07T00:00:00Z', report },
      'j1',
      journey.definition.goal,
    );
    expect(whole).toEqual({
      response: { activationId: 'j1', kpi: { event: 'Order Completed', windowDays: 14 }, asOf: '2026-12-07T00:00:00Z', report },
    });
    const bare = liftForCard(report, 'j1', journey.definition.goal);
    expect('response' in bare && bare.response.kpi).toEqual({ event: 'Order Completed', windowDays: 14 });
  });
});

describe('plays and exclusions (console, issue #23)', () => {
  const form = {
    intentSegment: 'intent',
    valueSegment: 'value',
    destinations: { owned: 'd1', retargeting: 'd2', winBack: 'd3', paidMedia: 'd4' },
    offers: ['', '', ''] as [string, string, string],
    waitDays: '',
    key: '',
  };

  it('sends offers only when typed, and wait days as a number', () => {
    expect(playsRequestOf(form)).toEqual({ intentSegment: 'intent', valueSegment: 'value', destinations: form.destinations });
    expect(playsRequestOf({ ...form, offers: ['5%', '10%', ' 20% '], waitDays: '3', key: ' spring ' })).toMatchObject({
      offers: ['5%', '10%', '20%'],
      waitDays: 3,
      key: 'spring',
    });
    expect(playsRequestOf({ ...form, waitDays: 'three' })).toMatchObject({ waitDays: 'three' });
  });

  it('links what the plays created to their pages', () => {
    const html = renderToStaticMarkup(
      createElement(PlaysCreated, {
        result: {
          segments: [{ id: 's1', key: 'high_intent_high_value', name: 'High intent, high value' }],
          activations: [{ id: 'a1', name: 'Owned send', mode: 'send', play: 'owned_send' }],
          frequencyCap: { id: 'c1', name: 'retargeting cap', channel: 'ads', maxMessages: 3, windowHours: 168, reused: false },
          journey: { id: 'j1', key: 'win_back', name: 'Win back', status: 'draft' },
        },
      }),
    );
    expect(html).toContain('href="#/segments/s1"');
    expect(html).toContain('Owned-channel send: <a href="#/activations/a1">Owned send</a>');
    expect(html).toContain('retargeting cap, at most 3 messages per 7 d on ads');
    expect(html).toContain('href="#/journeys/win_back">Win back</a>');
    expect(html).toContain('(a draft: publish it on its page)');
  });

  it('edits the excluded segments as keys', () => {
    expect(splitSegmentRefs(' dormant, churned  vip,,')).toEqual(['dormant', 'churned', 'vip']);
    const html = renderToStaticMarkup(
      createElement(ExclusionsEditor, {
        activationId: 'a1',
        currentKeys: ['dormant', 'churned'],
        segmentKeys: ['vip'],
        onSaved: () => undefined,
      }),
    );
    expect(html).toContain('value="dormant, churned"');
    expect(html).toContain('<option value="vip">');
    expect(html).toContain('Save exclusions');
  });
});
