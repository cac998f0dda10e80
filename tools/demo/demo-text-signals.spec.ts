import {
  computeTraitValue,
  evaluateSegment,
  parseComputedTraitDefinition,
  parseSegmentDefinition,
  type TraitEvent,
} from '@audiencekit/segments-domain';
import { signalsOf } from '@audiencekit/segments-service';
import { compileVocabularies } from '@audiencekit/text-signals';
import { DEMO_REVIEWS, DEMO_SIGNAL_TRAITS, DEMO_TEXT_SIGNALS, PRICE_SENSITIVE_DETRACTORS } from './demo-text-signals';

const DAY_MS = 86_400_000;

/**
 * The demo reviews through the same scoring, traits and rules the product runs (in memory, no
 * database): which customers `npm start` will show in price-sensitive-detractors, and why.
 */
describe('the text-signals demo data', () => {
  const now = new Date('2026-12-07T12:00:00Z');
  const matcher = compileVocabularies(DEMO_TEXT_SIGNALS.vocabularies);
  const eventsOf = (userId: string): TraitEvent[] =>
    DEMO_REVIEWS.flatMap((review, index) =>
      review.userId === userId
        ? [
            {
              id: index,
              name: DEMO_TEXT_SIGNALS.event,
              timestamp: now.getTime() - review.daysAgo * DAY_MS,
              properties: { text: review.text },
              signals: signalsOf(review.text, matcher) as Record<string, unknown>,
            },
          ]
        : [],
    );
  const traitsOf = (userId: string): Record<string, unknown> =>
    Object.fromEntries(
      DEMO_SIGNAL_TRAITS.map((trait) => [
        trait.key,
        computeTraitValue(parseComputedTraitDefinition(trait.definition), eventsOf(userId), now),
      ]),
    );
  // The quiz demo's price answers (demo-orchestration.ts): 12347 and 12349.
  const quizPrice = new Set(['12347', '12349']);

  it('tags the price complaints and reads them as negative', () => {
    const signals = DEMO_REVIEWS.map((review) => signalsOf(review.text, matcher));
    expect(signals.map((entry) => entry.sentiment?.label)).toEqual([
      'negative',
      'negative',
      'negative',
      'negative',
      'positive',
      'positive',
      'negative',
      'negative',
      'positive',
    ]);
    expect(signals.map((entry) => entry.tags)).toEqual([
      ['price-sensitive'],
      ['price-sensitive'],
      ['price-sensitive'],
      ['price-sensitive'],
      ['price-sensitive'],
      ['eco-conscious'],
      [],
      [],
      [],
    ]);
  });

  it('price-sensitive-detractors: the negative price complainers and the quiz answerer with a negative review', () => {
    const definition = parseSegmentDefinition(PRICE_SENSITIVE_DETRACTORS);
    const users = [...new Set(DEMO_REVIEWS.map((review) => review.userId))].sort();
    const members = users.filter((userId) =>
      evaluateSegment(
        definition,
        { traits: quizPrice.has(userId) ? { price_sensitive: true } : {}, computedTraits: traitsOf(userId), events: [] },
        { now },
      ),
    );
    expect(members).toEqual(['12347', '12349', '12350', '12352']);
    expect(traitsOf('12353')).toMatchObject({ price_mentions_90d: 1, last_review_sentiment: 'positive' }); // happy about the price
    expect(traitsOf('12355')).toMatchObject({ price_mentions_90d: 0, last_review_sentiment: 'negative' }); // a detractor, not about price
  });
});
