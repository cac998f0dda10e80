import { z } from 'zod';
import { purchaseSourceShape } from '../rfm/rfm.schema';

export const INTENT_VALUE_CELLS = [
  'high_intent_high_value',
  'high_intent_low_value',
  'low_intent_high_value',
  'low_intent_low_value',
] as const;
export type IntentValueCell = (typeof INTENT_VALUE_CELLS)[number];

export interface IntentValuePlay {
  cell: IntentValueCell;
  name: string;
  play: string;
  channels: string[];
}

/** The recommended play of each cell of the intent × value matrix. */
export const INTENT_VALUE_PLAYS: Readonly<Record<IntentValueCell, IntentValuePlay>> = {
  high_intent_high_value: {
    cell: 'high_intent_high_value',
    name: 'High intent, high value',
    play: 'Owned channels, personalised offers',
    channels: ['email', 'sms'],
  },
  high_intent_low_value: {
    cell: 'high_intent_low_value',
    name: 'High intent, low value',
    play: 'Paid retargeting with a frequency cap',
    channels: ['ads'],
  },
  low_intent_high_value: {
    cell: 'low_intent_high_value',
    name: 'Low intent, high value',
    play: 'Win-back journey',
    channels: ['email', 'sms'],
  },
  low_intent_low_value: {
    cell: 'low_intent_low_value',
    name: 'Low intent, low value',
    play: 'Suppress from paid media',
    channels: [],
  },
};

const minScore = z.number().int().min(2).max(5);

/**
 * One cell of the intent × value matrix. The population is the profiles with a purchase in the
 * window (they have RFM scores). Intent is high when the recency score R ≥ `intent.minScore`
 * (default 4: the most recent two quintiles), or — with `intent.source: "segment"` — when the profile
 * is a current member of another segment, typically the top tier of a propensity segment. Value is
 * high when the monetary score M ≥ `value.minScore` (default 4).
 */
export const intentValueDefinitionSchema = z
  .object({
    type: z.literal('intent_value'),
    cell: z.enum(INTENT_VALUE_CELLS),
    ...purchaseSourceShape,
    intent: z
      .discriminatedUnion('source', [
        z.object({ source: z.literal('recency'), minScore: minScore.default(4) }).strict(),
        z.object({ source: z.literal('segment'), segment: z.string().min(1).max(200) }).strict(),
      ])
      .default({ source: 'recency', minScore: 4 }),
    value: z
      .object({ source: z.literal('monetary'), minScore: minScore.default(4) })
      .strict()
      .default({ source: 'monetary', minScore: 4 }),
  })
  .strict();

export type IntentValueDefinition = z.infer<typeof intentValueDefinitionSchema>;
