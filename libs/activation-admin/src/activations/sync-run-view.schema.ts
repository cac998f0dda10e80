import { z } from 'zod';

/**
 * A sync run as the API returns it (SyncRunView of libs/activation-engine), for the OpenAPI document.
 * The engine's view is a TypeScript interface; this schema documents it and a test parses real
 * responses with it, so the two cannot drift apart unnoticed.
 */
export const syncRunViewSchema = z.object({
  id: z.uuid(),
  activationId: z.uuid(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'partial', 'awaiting_confirmation', 'cancelled']),
  dryRun: z.boolean(),
  trigger: z.string().describe('manual, api, after_refresh or schedule'),
  requestedBy: z.string().nullable().describe('the API key id that asked for it'),
  segmentVersion: z.number().int(),
  segmentRunId: z.uuid().nullable(),
  counts: z
    .record(z.string(), z.number())
    .describe('considered, heldOutGlobal, heldOutActivation, suppressed, invalid, added / sent, removed, rejected, failed, ...'),
  errors: z
    .array(z.record(z.string(), z.unknown()))
    .describe('batch failures and the reason a run stopped; identifiers masked unless the key is admin'),
  plan: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('dry runs: the itemised plan with samples; send runs: the mass-send guard decision (plan.guard)'),
  reconciliation: z
    .object({
      sent: z.number().int().describe('members delivered to the vendor in this run'),
      vendorReceived: z
        .number()
        .int()
        .nullable()
        .describe("entries the vendor said it received, over the run's requests (Meta num_received)"),
      vendorInvalid: z.number().int().nullable().describe('entries the vendor said were invalid (Meta num_invalid_entries)'),
      audienceSize: z.number().int().nullable().describe("the vendor's audience size after the run"),
      heldAtVendor: z.number().int().nullable().describe('members the destination holds after the run'),
      matchRate: z.number().nullable().describe('audienceSize / heldAtVendor'),
      matchRateDropped: z
        .boolean()
        .describe('the match rate fell beyond the threshold below the previous runs (warning match_rate_dropped)'),
    })
    .nullable()
    .describe('match reconciliation: what the ads vendor reported back beside what was sent; null when it reported nothing'),
  pendingVendorConfirmation: z
    .object({
      requests: z.number().int().describe('requests the vendor accepted but has not confirmed yet (e.g. Google still processing)'),
      summary: z.string().describe('"pending vendor confirmation: N requests"'),
    })
    .nullable()
    .describe('requests the worker still checks with the vendor; members it drops become rejections of this run. Null when none'),
  queuedAt: z.iso.datetime({ offset: true }),
  startedAt: z.iso.datetime({ offset: true }).nullable(),
  finishedAt: z.iso.datetime({ offset: true }).nullable(),
  durationMs: z.number().int().nullable(),
});

export const syncRunPageSchema = z.object({
  items: z.array(syncRunViewSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
