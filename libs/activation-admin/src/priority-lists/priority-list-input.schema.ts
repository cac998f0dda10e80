import { z } from 'zod';

const entries = z
  .array(z.string().min(1).max(200))
  .min(1)
  .max(50)
  .describe('segments (key or id), highest priority first: a profile belongs only to the first entry it qualifies for');

export const createPriorityListSchema = z.object({
  key: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be lower-case letters, digits and underscores, starting with a letter (at most 63)'),
  name: z.string().min(1).max(200),
  entries,
});

/** `entries` replaces the whole order. */
export const updatePriorityListSchema = z.object({
  name: z.string().min(1).max(200).optional(),
  entries: entries.optional(),
});

export type CreatePriorityListInput = z.infer<typeof createPriorityListSchema>;
export type UpdatePriorityListInput = z.infer<typeof updatePriorityListSchema>;

export const priorityListViewSchema = z.object({
  id: z.uuid(),
  key: z.string(),
  name: z.string(),
  entries: z.array(z.object({ position: z.number().int(), segmentId: z.uuid(), segmentKey: z.string() })),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type PriorityListView = z.infer<typeof priorityListViewSchema>;

/** Members per entry: all of the segment's, and the exclusive ones (in no higher entry). */
export const priorityListMembershipSchema = z.object({
  listId: z.uuid(),
  entries: z.array(
    z.object({
      position: z.number().int(),
      segmentId: z.uuid(),
      segmentKey: z.string(),
      members: z.number().int(),
      exclusive: z.number().int(),
    }),
  ),
});
export type PriorityListMembership = z.infer<typeof priorityListMembershipSchema>;
