import { z } from 'zod';

/** `P30D`, `P4W` (ISO 8601 durations in days or weeks) → days; anything else → undefined. */
export function isoDurationDays(value: string): number | undefined {
  const match = /^P(?:(\d+)W|(\d+)D)$/i.exec(value.trim());
  if (!match) return undefined;
  return match[1] !== undefined ? Number(match[1]) * 7 : Number(match[2]);
}

const MAX_WINDOW_DAYS = 3650;

/**
 * GET /activations/:id/lift. The window defaults to the segment's KPI window; `asOf` (default now)
 * makes a report reproducible; the statistics options go to the experimentation lib unchanged.
 */
export const liftQuerySchema = z
  .object({
    window: z
      .string()
      .refine(
        (value) => (isoDurationDays(value) ?? 0) >= 1 && (isoDurationDays(value) ?? 0) <= MAX_WINDOW_DAYS,
        `must be an ISO 8601 duration in days or weeks, e.g. P30D or P4W (1 to ${MAX_WINDOW_DAYS} days)`,
      )
      .optional(),
    windowDays: z.coerce.number().int().min(1).max(MAX_WINDOW_DAYS).optional(),
    asOf: z.iso.datetime({ offset: true }).optional(),
    alpha: z.coerce.number().gt(0).lt(1).optional(),
    srmThreshold: z.coerce.number().gt(0).lt(1).optional(),
    power: z.coerce.number().gt(0).lt(1).optional(),
    targetRelativeLift: z.coerce
      .number()
      .refine((value) => value !== 0 && Number.isFinite(value), 'must be a non-zero number')
      .optional(),
    plannedMembers: z.coerce.number().int().min(2).optional(),
  })
  .refine((query) => query.window === undefined || query.windowDays === undefined, {
    path: ['windowDays'],
    message: 'give window or windowDays, not both',
  });

export type LiftQuery = z.infer<typeof liftQuerySchema>;
