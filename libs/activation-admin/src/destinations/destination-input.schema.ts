import { z } from 'zod';

const settings = z.record(z.string(), z.unknown());

/** A new destination. `settings` and `secrets` are then validated by the connector's own schemas. */
export const createDestinationSchema = z.object({
  name: z.string().min(1).max(200),
  connector: z.string().min(1).max(100),
  settings: settings.default({}),
  secrets: settings.default({}),
});

/** Changes to a destination: settings are replaced as a whole; new secrets replace (re-seal) the old. */
export const updateDestinationSchema = z.object({
  name: z.string().min(1).max(200).optional(),
  settings: settings.optional(),
  secrets: settings.optional(),
});

export type CreateDestinationInput = z.infer<typeof createDestinationSchema>;
export type UpdateDestinationInput = z.infer<typeof updateDestinationSchema>;

/** What the API returns for a destination: never the secrets, only whether there are some. */
export const destinationViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  connector: z.string(),
  settings: settings,
  secretsSet: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type DestinationView = z.infer<typeof destinationViewSchema>;

export const connectionTestResultSchema = z.object({
  ok: z.boolean(),
  error: z.object({ code: z.string(), message: z.string(), vendorCode: z.string().optional() }).optional(),
});
export type ConnectionTestResult = z.infer<typeof connectionTestResultSchema>;
