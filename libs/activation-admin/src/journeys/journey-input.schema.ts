import { z } from 'zod';

/**
 * Journey bodies (issue #23). The definition is checked by libs/journeys' `validateJourneyDefinition`
 * (every problem with its path under `definition.`) and then against the database, so the schema only
 * says it is an object; its documented shape is `journeyDefinitionDocSchema`.
 */
const definition = z.record(z.string(), z.unknown()).describe('a JourneyDefinition (libs/journeys/README.md)');

export const createJourneySchema = z.object({
  key: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be lower-case letters, digits and underscores, starting with a letter (at most 63)'),
  name: z.string().min(1).max(200),
  definition,
});
export type CreateJourneyInput = z.infer<typeof createJourneySchema>;

export const updateJourneyDefinitionSchema = z.object({ definition });
export type UpdateJourneyDefinitionInput = z.infer<typeof updateJourneyDefinitionSchema>;

export const JOURNEY_STATUSES = ['draft', 'live', 'paused', 'archived'] as const;

export const journeyViewSchema = z.object({
  id: z.uuid(),
  key: z.string(),
  name: z.string(),
  status: z.enum(JOURNEY_STATUSES),
  currentVersion: z.number().int(),
  definition: z.record(z.string(), z.unknown()),
  versions: z.array(z.object({ version: z.number().int(), createdAt: z.date() })),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type JourneyView = z.infer<typeof journeyViewSchema>;

export const journeySummarySchema = z.object({
  id: z.uuid(),
  key: z.string(),
  name: z.string(),
  status: z.enum(JOURNEY_STATUSES),
  currentVersion: z.number().int(),
  entrySegment: z.object({ id: z.uuid(), key: z.string() }).nullable(),
  /** Entries ever made (every arm), entries not done, entries that exited on their goal. */
  entered: z.number().int(),
  inFlight: z.number().int(),
  goalReached: z.number().int(),
});
export type JourneySummary = z.infer<typeof journeySummarySchema>;

export const journeyListSchema = z.object({ items: z.array(journeySummarySchema) });
