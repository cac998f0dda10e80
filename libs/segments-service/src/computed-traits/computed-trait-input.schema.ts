import { z } from 'zod';
import { TRAIT_KEY_PATTERN } from '@audiencekit/segments-domain';

/**
 * Request bodies of the computed-trait routes. The definition is checked by the domain schema
 * (libs/segments-domain computed-traits), so a mistake inside it is a 400 naming `definition.<path>`.
 */
const key = z.string().regex(TRAIT_KEY_PATTERN, 'must be 1-63 characters: a lower-case letter, then lower-case letters, digits or _');
const definition = z
  .unknown()
  .describe(
    '{ function: count|sum|avg|min|max|first|last|most_frequent|distinct_count, event, property? (required but for count), where?: [{ property, operator, value }], window: "last N days" | "ever" | "between A and B" }',
  );

export const computedTraitCreateSchema = z
  .object({
    key,
    description: z.string().max(2_000).default(''),
    owner: z.string().min(1).max(200),
    cadence: z.string().min(1).max(100).default('manual').describe('"manual", a cron expression (UTC), or "realtime"'),
    definition,
  })
  .strict();

export const computedTraitUpdateSchema = z
  .object({
    description: z.string().max(2_000).optional(),
    owner: z.string().min(1).max(200).optional(),
    cadence: z.string().min(1).max(100).optional(),
    definition: definition.optional().describe('a new definition makes a new immutable version'),
  })
  .strict();

export const computedTraitPreviewSchema = z.object({ definition }).strict();
export const computedTraitKeyParamsSchema = z.object({ key });
export const computedTraitValuesQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(100) }).strict();

export type ComputedTraitCreateInput = z.infer<typeof computedTraitCreateSchema>;
export type ComputedTraitUpdateInput = z.infer<typeof computedTraitUpdateSchema>;
