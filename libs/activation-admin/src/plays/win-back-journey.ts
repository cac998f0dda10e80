import type { JourneyDefinition, JourneyStep } from '@audiencekit/journeys';

const SECONDS_PER_DAY = 24 * 3600;

/**
 * The win-back journey of the low intent ∧ high value quadrant: three sends with rising offers and
 * `waitDays` between them. "Escalating incentives": the engine exits an entry as soon as the goal
 * event is seen, so each later offer goes only to those who have not converted by then.
 * @example winBackDefinition({ entrySegmentId, destinationId, channel: 'email', offers: ['10%', '15%', '20%'],
 *   waitDays: 3, goal: { event: 'Order Completed', withinDays: 30 }, holdoutShare: 0.1 }).steps.map((s) => s.type)
 *   // ['send', 'wait', 'send', 'wait', 'send']
 */
export function winBackDefinition(input: {
  entrySegmentId: string;
  destinationId: string;
  channel: string;
  offers: readonly [string, string, string];
  waitDays: number;
  goal: { event: string; withinDays: number };
  holdoutShare: number;
}): JourneyDefinition {
  const steps: JourneyStep[] = [];
  input.offers.forEach((offer, index) => {
    if (index > 0) steps.push({ id: `wait_${index}`, type: 'wait', seconds: input.waitDays * SECONDS_PER_DAY });
    steps.push({ id: `offer_${index + 1}`, type: 'send', destination: input.destinationId, message: offerMessage(offer, input.channel) });
  });
  return {
    entrySegmentId: input.entrySegmentId,
    goal: input.goal,
    holdoutShare: input.holdoutShare,
    // Back in the quadrant a quarter later: a new win-back run, not a repeat of the same week's offers.
    reEntry: { mode: 'after_days', days: 90 },
    steps,
  };
}

/** A plain message carrying the offer (an email gets a subject too); the marketer edits it in the journey editor. */
export function offerMessage(offer: string, channel: string): Record<string, unknown> {
  const text = `We miss you! Come back for ${offer}.`;
  return channel === 'email' ? { subject: `${offer}, just for you`, text } : { text };
}

/** The goal window: long enough to cover every offer and one more wait after the last. */
export function winBackGoalDays(waitDays: number): number {
  return Math.min(366, waitDays * 3 + 7);
}
