import { z } from 'zod';

export const FREQUENCY_CAP_CHANNELS = ['email', 'sms', 'ads', 'webhook', 'all'] as const;

/** At most `maxMessages` messages to one profile on `channel` (`all`: any channel) in a rolling `windowHours`, across every activation. */
export const createFrequencyCapSchema = z.object({
  name: z.string().min(1).max(200),
  channel: z.enum(FREQUENCY_CAP_CHANNELS),
  maxMessages: z.number().int().min(1).max(10_000),
  windowHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 366),
});

export const updateFrequencyCapSchema = createFrequencyCapSchema.partial();

export type CreateFrequencyCapInput = z.infer<typeof createFrequencyCapSchema>;
export type UpdateFrequencyCapInput = z.infer<typeof updateFrequencyCapSchema>;

export const frequencyCapViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  channel: z.enum(FREQUENCY_CAP_CHANNELS),
  maxMessages: z.number().int(),
  windowHours: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type FrequencyCapView = z.infer<typeof frequencyCapViewSchema>;
