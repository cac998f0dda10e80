import { z } from 'zod';
import { activationViewSchema, messageTemplateSchema } from '../activations/activation-input.schema';
import { frequencyCapViewSchema } from '../frequency-caps/frequency-cap-input.schema';

/** A segment or a destination named by id, or by key (segments) / name (destinations). */
const ref = z.string().min(1).max(200);

/** The escalating offers of the win-back journey, in the order they are sent. */
export const DEFAULT_WIN_BACK_OFFERS = ['10% off your next order', '15% off your next order', '20% off and free delivery'] as const;
/** The goal of the win-back journey when neither the body nor the value segment's KPI names one. */
export const DEFAULT_GOAL_EVENT = 'Order Completed';

/**
 * `POST /plays` (issue #23, "plays in one step"): from an intent segment and a value segment, the four
 * quadrant segments and their plays, each a normal activation or journey afterwards.
 */
export const createPlaysSchema = z.object({
  intentSegment: ref.describe('the high-intent segment (key or id)'),
  valueSegment: ref.describe('the high-value segment (key or id)'),
  key: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be lower-case letters, digits and underscores, starting with a letter (at most 40)')
    .optional()
    .describe('prefix of the keys of what the call creates (default `<intent>_x_<value>`, cleaned)'),
  destinations: z.object({
    owned: ref.describe('owned channel (a destination that sends: email, SMS) for high intent ∧ high value'),
    retargeting: ref.describe('retargeting audience (a destination that keeps a list, e.g. an ads audience) for high intent ∧ low value'),
    winBack: ref.describe('destination of the win-back journey’s sends (it must send) for low intent ∧ high value'),
    paidMedia: z
      .union([ref, z.array(ref).min(1).max(20)])
      .describe('paid-media destination(s): every live activation to them excludes low intent ∧ low value'),
  }),
  offers: z
    .tuple([z.string().min(1).max(500), z.string().min(1).max(500), z.string().min(1).max(500)])
    .default([...DEFAULT_WIN_BACK_OFFERS])
    .describe('the win-back journey’s three escalating offers, sent in order while the goal is not reached'),
  waitDays: z.number().int().min(1).max(90).default(3).describe('days between two win-back offers'),
  ownedMessage: messageTemplateSchema.optional().describe('the owned-channel message (default: a short personalised offer)'),
  retargetingCap: z
    .object({
      maxMessages: z.number().int().min(1).max(10_000),
      windowHours: z
        .number()
        .int()
        .min(1)
        .max(24 * 366),
    })
    .default({ maxMessages: 3, windowHours: 168 })
    .describe('frequency cap on the retargeting channel when its connector messages people (ads: set in the vendor campaign)'),
  holdoutShare: z.number().min(0).max(0.5).default(0.1).describe('control share of each activation and of the journey'),
  goal: z
    .object({ event: z.string().min(1).max(200), withinDays: z.number().int().min(1).max(365) })
    .optional()
    .describe("the win-back journey's goal (default: the value segment's KPI event, else 'Order Completed')"),
});
export type CreatePlaysInput = z.infer<typeof createPlaysSchema>;

const quadrantSegmentSchema = z.object({
  cell: z.string(),
  id: z.uuid(),
  key: z.string(),
  name: z.string(),
  definition: z.record(z.string(), z.unknown()),
});

export const playsResultSchema = z.object({
  /** The four quadrant segments: high intent ∧ high value, high ∧ low, low ∧ high, low ∧ low. */
  segments: z.array(quadrantSegmentSchema),
  /** The owned send, the retargeting audience, then each other paid-media activation that now excludes low ∧ low. */
  activations: z.array(activationViewSchema.extend({ play: z.enum(['owned_send', 'retargeting', 'paid_media_exclusion']) })),
  /** Low intent ∧ low value, now excluded by every live activation to the paid-media destination(s), the retargeting one included when it is one of them. */
  paidMediaExclusion: z.object({ segmentId: z.uuid(), activationIds: z.array(z.uuid()) }),
  /** The cap on the retargeting channel (null for an ads connector: frequency is the vendor campaign's setting). */
  frequencyCap: frequencyCapViewSchema.extend({ reused: z.boolean() }).nullable(),
  journey: z.object({ id: z.uuid(), key: z.string(), name: z.string(), status: z.string(), currentVersion: z.number().int() }),
});
export type PlaysResult = z.infer<typeof playsResultSchema>;
