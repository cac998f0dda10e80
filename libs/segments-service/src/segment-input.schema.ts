import { z } from 'zod';
import { cadenceProblem } from '@audiencekit/util';

const cadence = z
  .string()
  .superRefine((value, context) => {
    const problem = cadenceProblem(value, { allowRealtime: true });
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .describe(
    '`manual`, a cron expression (UTC) for scheduled refreshes, or `realtime`: a rules segment evaluated on every change of a profile and as its windows slide (reconciled by a daily refresh); definitions that rank the population (RFM, intent × value) or use a fitted model cannot be real time',
  );

const refitCadence = z
  .string()
  .superRefine((value, context) => {
    const problem = value === 'manual' ? 'use null for no refit cadence' : cadenceProblem(value, { allowRealtime: false });
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .nullable()
  .describe(
    'Cluster and propensity segments: a cron expression (UTC) on which the worker refits the model into a new version (each version keeps its metrics, GET versions shows them side by side); null: refit only when asked',
  );

export const kpiSchema = z.object({
  event: z.string().min(1).max(200),
  windowDays: z.number().int().min(1).max(3650),
  valueProperty: z.string().min(1).max(200).optional(),
});

export const qualityThresholdsSchema = z.object({
  minSize: z.number().int().min(0).default(100),
  maxChurn: z.number().min(0).max(10).default(0.5),
});

const documentationFields = {
  name: z.string().min(1).max(200),
  description: z.string().max(5_000),
  owner: z.string().min(1).max(200),
  refreshCadence: cadence,
  refitCadence,
  kpi: kpiSchema.nullable(),
  status: z.enum(['active', 'paused', 'archived']),
  qualityThresholds: qualityThresholdsSchema,
};

/** A new segment: its documentation card and its first definition (validated by the segmentation lib). */
export const createSegmentSchema = z.object({
  key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'must be 1–100 lower-case letters, digits, - or _'),
  ...documentationFields,
  description: documentationFields.description.default(''),
  refreshCadence: documentationFields.refreshCadence.default('manual'),
  refitCadence: documentationFields.refitCadence.optional(),
  kpi: documentationFields.kpi.default(null),
  status: documentationFields.status.default('active'),
  qualityThresholds: qualityThresholdsSchema.default({ minSize: 100, maxChurn: 0.5 }),
  definition: z.unknown().refine((value) => value !== undefined, 'is required'),
});

/** A change: any documentation field; a changed `definition` creates a new immutable version. */
export const updateSegmentSchema = z
  .object({ ...documentationFields, definition: z.unknown() })
  .partial()
  .strict();

export type CreateSegmentInput = z.infer<typeof createSegmentSchema>;
export type UpdateSegmentInput = z.infer<typeof updateSegmentSchema>;
