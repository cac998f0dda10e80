// The text-signals demo (issue #24), run by `npm start` after the quiz demo, through the admin and
// tracking APIs only: reviews tracked as `Review Submitted` events, scored by the worker (sentiment
// and the "price-sensitive" vocabulary), computed traits over their signals, and the
// "price-sensitive detractors" segment that combines them with the quiz's price answer.
import { Call, poll, track } from './demo-api';

export const DEMO_TEXT_SIGNALS = {
  event: 'Review Submitted',
  property: 'text',
  vocabularies: {
    'price-sensitive': ['price', 'expensive', 'overpriced', 'discount', 'cheap', 'cost', 'refund'],
    'eco-conscious': ['recycled', 'plastic', 'sustainable', 'eco-friendly', 'packaging'],
  },
};

/**
 * Demo reviews (synthetic): who wrote what, how many days ago. Price complaints that read negative
 * (12347, 12350, 12352), a happy price mention (12353), eco praise (12354), a complaint with no price
 * word (12355: a detractor, not price-sensitive) and one from 12349, who answered "price" in the quiz.
 */
export const DEMO_REVIEWS: readonly { userId: string; daysAgo: number; text: string }[] = [
  { userId: '12347', daysAgo: 21, text: 'Far too expensive for such flimsy quality. Really disappointed.' },
  { userId: '12347', daysAgo: 4, text: 'The discount code did not work and support was useless.' },
  { userId: '12350', daysAgo: 9, text: 'Overpriced and it broke after a week. Terrible.' },
  { userId: '12352', daysAgo: 12, text: 'The price went up again and the delivery was late. Awful service.' },
  { userId: '12353', daysAgo: 6, text: 'Great value for the price, I love it!' },
  { userId: '12354', daysAgo: 3, text: 'Beautiful, and the packaging is recycled. Wonderful.' },
  { userId: '12355', daysAgo: 8, text: 'Awful. It arrived broken and nobody answered my emails.' },
  { userId: '12349', daysAgo: 2, text: 'Disappointing, the colours faded after one wash.' },
  { userId: '12348', daysAgo: 5, text: 'Lovely quality, works perfectly.' },
];

const OWNER = 'demo@audiencekit.local';
const HOURLY = '0 * * * *';
export const DEMO_SIGNAL_TRAITS = [
  {
    key: 'avg_review_sentiment_90d',
    owner: OWNER,
    cadence: HOURLY,
    description: 'Average sentiment (VADER compound, -1..1) of the reviews of the last 90 days.',
    definition: { function: 'avg', event: 'Review Submitted', signal: 'sentiment.compound', window: 'last 90 days' },
  },
  {
    key: 'last_review_sentiment',
    owner: OWNER,
    cadence: HOURLY,
    description: "The label of the latest review's sentiment: positive, neutral or negative.",
    definition: { function: 'last', event: 'Review Submitted', signal: 'sentiment.label', window: 'last 90 days' },
  },
  {
    key: 'price_mentions_90d',
    owner: OWNER,
    cadence: HOURLY,
    description: 'Reviews of the last 90 days tagged price-sensitive.',
    definition: {
      function: 'count',
      event: 'Review Submitted',
      where: [{ signal: 'tags', operator: 'contains', value: 'price-sensitive' }],
      window: 'last 90 days',
    },
  },
];

/** Price-sensitive (a review tagged so, or the quiz's price answer) AND a negative average review sentiment. */
export const PRICE_SENSITIVE_DETRACTORS = {
  type: 'rules',
  match: {
    type: 'all',
    conditions: [
      {
        type: 'any',
        conditions: [
          { type: 'computed_trait', key: 'price_mentions_90d', operator: 'gte', value: 1 },
          { type: 'trait', trait: 'price_sensitive', operator: 'equals', value: true },
        ],
      },
      { type: 'computed_trait', key: 'avg_review_sentiment_90d', operator: 'lt', value: -0.05 },
    ],
  },
};

interface TraitRun {
  withValue: number;
}

export async function runTextSignalsDemo(apiUrl: string, api: Call, say: (line: string) => void): Promise<void> {
  await api('POST', '/text-signals', DEMO_TEXT_SIGNALS);
  const { secret } = await api<{ secret: string }>('POST', '/keys', { name: 'demo reviews (synthetic)', role: 'write' });
  const now = Date.now();
  await track(
    apiUrl,
    secret,
    DEMO_REVIEWS.map((review, index) => ({
      type: 'track',
      messageId: `demo-review-${index}`,
      userId: review.userId,
      event: DEMO_TEXT_SIGNALS.event,
      timestamp: new Date(now - review.daysAgo * 86_400_000).toISOString(),
      properties: { text: review.text, synthetic: true },
    })),
  );
  // The worker scores them within a pass (every 2 s).
  const scored = await poll(
    'the worker to score the demo reviews',
    () => api<{ eventsScored: number }>('GET', `/text-signals/${encodeURIComponent(DEMO_TEXT_SIGNALS.event)}`),
    (config) => config.eventsScored >= DEMO_REVIEWS.length,
    60_000,
  );
  const withValues: string[] = [];
  for (const trait of DEMO_SIGNAL_TRAITS) {
    await api('POST', '/computed-traits', trait);
    const run = await api<TraitRun>('POST', `/computed-traits/${trait.key}/runs`);
    withValues.push(`${trait.key} ${run.withValue}`);
  }
  await api('POST', '/segments', {
    key: 'price-sensitive-detractors',
    name: 'Price-sensitive detractors',
    owner: OWNER,
    description:
      'Price-sensitive (a review tagged price-sensitive, or "price" in the shopping-style quiz) with a negative average review sentiment in 90 days.',
    definition: PRICE_SENSITIVE_DETRACTORS,
  });
  const preview = await api<{ size: number }>('POST', '/segments/preview', { definition: PRICE_SENSITIVE_DETRACTORS });
  say(
    `demo text signals: ${scored.eventsScored} synthetic reviews scored by the worker (Review Submitted.text, vocabularies price-sensitive, eco-conscious); traits ${withValues.join(', ')} profiles with a value; segment price-sensitive-detractors previews ${preview.size} members`,
  );
}
