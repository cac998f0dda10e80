import { z } from 'zod';
import { normalizeEmail, normalizePhone } from '@audiencekit/identity';
import { isUuid } from '@audiencekit/util';

/**
 * Identifier types a suppression may name: the identity types ingestion stores, and `profile_id`
 * (what an erasure suppresses). The activation engine matches `user_id` suppressions against
 * external ids too.
 */
export const SUPPRESSION_IDENTIFIER_TYPES = ['email', 'phone', 'user_id', 'anonymous_id', 'profile_id'] as const;
export type SuppressionIdentifierType = (typeof SUPPRESSION_IDENTIFIER_TYPES)[number];

/** `all`, or one connector channel. */
export const SUPPRESSION_CHANNELS = ['all', 'email', 'sms', 'ads', 'webhook'] as const;
export type SuppressionChannel = (typeof SUPPRESSION_CHANNELS)[number];

export const MAX_REASON_LENGTH = 500;

/** One suppression as given by a person (API body, CSV line), before normalisation. */
export interface SuppressionKey {
  identifierType: SuppressionIdentifierType;
  value: string;
  channel: SuppressionChannel;
}

/**
 * Normalises an identifier the way ingestion stores it (libs/identity), so a suppression of
 * `Ann@Example.COM` matches the stored `ann@example.com`; answers the reason when it cannot be one.
 *
 * @example normalizeSuppressedValue('email', ' Ann@Example.com ') // → { value: 'ann@example.com' }
 */
export function normalizeSuppressedValue(type: SuppressionIdentifierType, raw: string): { value: string } | { problem: string } {
  if (raw.trim().length === 0) return { problem: 'must not be empty' };
  if (raw.length > 1_000) return { problem: 'must be at most 1000 characters' };
  if (type === 'email') {
    const value = normalizeEmail(raw);
    return value === null ? { problem: 'must be an email address' } : { value };
  }
  if (type === 'phone') {
    const value = normalizePhone(raw);
    return value === null ? { problem: 'must be a phone number in E.164 form (+447911123456)' } : { value };
  }
  if (type === 'profile_id') return isUuid(raw.trim()) ? { value: raw.trim().toLowerCase() } : { problem: 'must be a profile id (a UUID)' };
  // Ids are kept as sent, as ingestion keeps them.
  return { value: raw };
}

const reasonSchema = z
  .string()
  .max(MAX_REASON_LENGTH)
  .refine((value) => value.trim().length > 0, 'must not be empty')
  .transform((value) => value.trim());

const keyShape = {
  identifierType: z.enum(SUPPRESSION_IDENTIFIER_TYPES),
  value: z.string().max(1_000),
  channel: z.enum(SUPPRESSION_CHANNELS).default('all'),
};

function normalizedKey<T extends { identifierType: SuppressionIdentifierType; value: string }>(input: T, context: z.RefinementCtx): T {
  const normalized = normalizeSuppressedValue(input.identifierType, input.value);
  if ('problem' in normalized) {
    context.addIssue({ code: 'custom', path: ['value'], message: normalized.problem });
    return z.NEVER;
  }
  return { ...input, value: normalized.value };
}

/** POST /suppressions: one identifier on one channel (default `all`), with the reason. */
export const suppressionAddSchema = z
  .object({ ...keyShape, reason: reasonSchema })
  .strict()
  .transform((input, context) => normalizedKey(input, context));
export type SuppressionAdd = z.output<typeof suppressionAddSchema>;

/** POST /suppressions/removals: the entry to lift, and why (kept in the audit log). */
export const suppressionRemoveSchema = suppressionAddSchema;
export type SuppressionRemove = SuppressionAdd;

/** GET /suppressions and the export: filters (all optional) and a keyset page. */
export const suppressionFilterSchema = z
  .object({
    channel: z.enum(SUPPRESSION_CHANNELS).optional(),
    identifierType: z.enum(SUPPRESSION_IDENTIFIER_TYPES).optional(),
    reason: z.string().max(MAX_REASON_LENGTH).optional().describe('case-insensitive substring of the reason'),
    value: z.string().max(1_000).optional().describe('exact identifier (normalised like ingestion when a type is given)'),
    createdFrom: z.iso.datetime({ offset: true }).optional().describe('created at or after (ISO 8601)'),
    createdTo: z.iso.datetime({ offset: true }).optional().describe('created before (ISO 8601)'),
  })
  .strict();
export type SuppressionFilter = z.output<typeof suppressionFilterSchema>;

export const suppressionListQuerySchema = suppressionFilterSchema
  .extend({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    after: z
      .string()
      .regex(/^\d{1,18}$/, 'must be the nextCursor of the previous page')
      .optional()
      .describe('cursor: the nextCursor of the previous page (newest first)'),
  })
  .strict();
export type SuppressionListQuery = z.output<typeof suppressionListQuerySchema>;
