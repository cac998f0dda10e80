import { z } from 'zod';
import { cadenceProblem } from '@audiencekit/util';

export const ACTIVATION_MODES = ['mirror', 'add_only', 'send'] as const;

/** Delivers each membership change as it happens (micro-batches); only for a segment of cadence `realtime`. */
export const ON_CHANGE_SCHEDULE = 'on_change';

/** `after_refresh` (run after each segment refresh), `on_change`, `manual`, or a cron expression. */
const schedule = z
  .string()
  .min(1)
  .max(200)
  .superRefine((value, context) => {
    if (value === 'after_refresh' || value === ON_CHANGE_SCHEDULE) return;
    const problem = cadenceProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem.replace('"manual"', '"after_refresh", "on_change", "manual"') });
  });

/** The message of a send-mode activation; `{{trait}}` placeholders are filled per member. */
export const messageTemplateSchema = z
  .object({
    subject: z.string().min(1).max(1_000).optional(),
    text: z.string().min(1).max(100_000).optional(),
    html: z.string().min(1).max(1_000_000).optional(),
    templateId: z.string().min(1).max(200).optional(),
  })
  .catchall(z.unknown())
  .refine(
    (message) => message.text !== undefined || message.html !== undefined || message.templateId !== undefined,
    'needs text, html or templateId',
  );

/** Share of the audience held back as control: 0 (nobody) up to, not including, 1. */
const holdoutShare = z.number().min(0).lt(1, 'must be less than 1 (1 would leave nobody to treat)');

/**
 * Segments whose members the activation never delivers to (issue #23), each by key or id; replaced
 * whole on a PATCH (`[]` removes every exclusion).
 */
const excludeSegments = z
  .array(z.string().min(1).max(200))
  .max(50)
  .describe('segments (key or id) whose members this activation never delivers to');

/** A priority list (key or id) whose entry — this activation's segment — the activation targets: it then delivers only to that entry's exclusive members. */
const priorityList = z
  .string()
  .min(1)
  .max(200)
  .describe("priority list (key or id) with this activation's segment as an entry: only that entry's exclusive members are delivered to");

export const createActivationSchema = z.object({
  name: z.string().min(1).max(200),
  segmentId: z.uuid(),
  destinationId: z.uuid(),
  mode: z.enum(ACTIVATION_MODES),
  holdoutShare: holdoutShare.default(0.1),
  schedule: schedule.default('after_refresh'),
  message: messageTemplateSchema.nullable().default(null),
  excludeSegments: excludeSegments.default([]),
  priorityList: priorityList.nullable().default(null),
});

/** The salt never changes (arms stay sticky); the share may change within the rules of the service. */
export const updateActivationSchema = z.object({
  name: z.string().min(1).max(200).optional(),
  holdoutShare: holdoutShare.optional(),
  schedule: schedule.optional(),
  message: messageTemplateSchema.nullable().optional(),
  status: z.enum(['active', 'paused']).optional(),
  excludeSegments: excludeSegments.optional(),
  /** null: the activation stops targeting a priority list. */
  priorityList: priorityList.nullable().optional(),
});

export type CreateActivationInput = z.infer<typeof createActivationSchema>;
export type UpdateActivationInput = z.infer<typeof updateActivationSchema>;

export const activationViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  segmentId: z.uuid(),
  destinationId: z.uuid(),
  connector: z.string().nullable(),
  mode: z.enum(ACTIVATION_MODES),
  holdoutShare: z.number(),
  schedule: z.string(),
  message: z.record(z.string(), z.unknown()).nullable(),
  status: z.string(),
  /** Ids of the segments whose members this activation never delivers to. */
  excludeSegmentIds: z.array(z.uuid()),
  /** The priority list whose entry (the segment) the activation targets, or null. */
  priorityListId: z.uuid().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type ActivationView = z.infer<typeof activationViewSchema>;
