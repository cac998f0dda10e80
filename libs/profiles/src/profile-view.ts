import { z } from 'zod';

/**
 * The shapes the profile routes answer with (zod, so apps/api documents them in OpenAPI). Times
 * are ISO strings; identifiers are masked below admin by the controller (`forRole`).
 */
export const lookupKinds = ['email', 'phone', 'userId', 'anonymousId', 'profileId'] as const;
export type LookupKind = (typeof lookupKinds)[number];

export const profileLookupSchema = z.object({
  profileId: z.string(),
  /** What the identifier matched: a merged profile resolves to the profile that absorbed it. */
  matched: z.object({ kind: z.enum(lookupKinds), value: z.string(), profileId: z.string(), merged: z.boolean() }),
});
export type ProfileLookup = z.infer<typeof profileLookupSchema>;

const traitSchema = z.object({
  key: z.string(),
  value: z.unknown(),
  setAt: z.string().nullable().describe('event time of the value held (profiles.trait_timestamps)'),
  source: z
    .object({ messageId: z.string(), sourceId: z.string().nullable() })
    .nullable()
    .describe('the identify event that set the value (same time, carries the trait); null when none is stored (a merge, an erased event)'),
});

const armSchema = z.object({
  activationId: z.string(),
  name: z.string(),
  segmentId: z.string(),
  segmentKey: z.string(),
  mode: z.string(),
  status: z.string(),
  holdoutShare: z.number(),
  hashVersion: z.number(),
  /** The arm libs/experimentation assigns now (global holdout first, then the activation's split). */
  arm: z.enum(['treatment', 'control', 'global_holdout']),
  /** The arm a sync recorded when it first considered the profile (sticky), if any. */
  exposed: z.object({ arm: z.string(), at: z.string() }).nullable(),
  memberOfSegment: z.boolean(),
});

export const profileDetailSchema = z.object({
  id: z.string(),
  firstSeenAt: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
  createdAt: z.string(),
  identities: z.array(z.object({ type: z.string(), value: z.string(), since: z.string() })),
  traits: z.array(traitSchema),
  computedTraits: z
    .array(
      z.object({
        key: z.string(),
        value: z.unknown(),
        source: z.enum(['computed', 'sql']).describe('a computed trait (event aggregate) or a SQL trait'),
        sourceId: z.string(),
        version: z.number().int().describe('the version of the trait that computed the value'),
        computedAt: z.string(),
      }),
    )
    .describe('derived values stored for the profile (computed_trait_values)'),
  memberships: z.array(
    z.object({
      segmentId: z.string(),
      key: z.string(),
      name: z.string(),
      refreshCadence: z.string(),
      since: z.string(),
      cause: z.enum(['refresh', 'realtime']).describe('segment_memberships.run_id null = real time'),
      runId: z.string().nullable(),
      version: z.number().nullable().describe('the version in force when the profile entered; null if older than the change history'),
      currentVersion: z.number(),
    }),
  ),
  activations: z.array(armSchema),
  globalHoldout: z.object({ share: z.number(), hashVersion: z.number(), member: z.boolean() }).nullable(),
  suppressions: z.array(
    z.object({ identifierType: z.string(), identifierValue: z.string(), channel: z.string(), reason: z.string(), since: z.string() }),
  ),
  consent: z.object({
    unsubscribed: z.boolean(),
    categories: z.record(z.string(), z.unknown()).describe('trait consent.<category>: true opts in, false withdraws'),
  }),
  merges: z.array(z.object({ profileId: z.string(), mergedInto: z.string(), mergedAt: z.string(), depth: z.number() })),
});
export type ProfileDetail = z.infer<typeof profileDetailSchema>;

export const profileEventsPageSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      messageId: z.string(),
      type: z.string(),
      name: z.string().nullable(),
      timestamp: z.string(),
      receivedAt: z.string(),
      properties: z.record(z.string(), z.unknown()),
      sourceId: z.string().nullable(),
    }),
  ),
  nextOffset: z.number().nullable(),
});
export type ProfileEventsPage = z.infer<typeof profileEventsPageSchema>;

const explainNodeSchema: z.ZodType<unknown> = z.lazy(() =>
  z.object({
    path: z.string(),
    type: z.string(),
    condition: z.record(z.string(), z.unknown()),
    matches: z.boolean(),
    values: z.record(z.string(), z.unknown()).optional(),
    changesAt: z.string().nullable(),
    children: z.array(explainNodeSchema).optional(),
  }),
);

export const profileExplanationSchema = z.object({
  profileId: z.string(),
  segment: z.object({ id: z.string(), key: z.string(), type: z.string(), version: z.number(), refreshCadence: z.string() }),
  at: z.string(),
  matches: z.boolean().describe('the verdict now (rules: the real-time evaluator; models: the stored model applied to the profile now)'),
  member: z.boolean().describe('in the stored membership (as of the last refresh, or real time)'),
  nextChangeAt: z.string().nullable().optional(),
  root: explainNodeSchema.optional(),
  model: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('model segments: scores, thresholds, tier or cluster, the stored model version'),
});
export type ProfileExplanation = z.infer<typeof profileExplanationSchema>;

/** One node of a rules explanation (`root` of {@link ProfileExplanation}), as libs/segments-domain's explainSegment makes it. */
export type { ExplainNode as SegmentExplanationNode } from '@audiencekit/segments-domain';
