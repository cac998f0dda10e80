import { z } from 'zod';
import { KEY_KINDS, SQL_TRAIT_KEY_PATTERN } from './sql-trait-result';
import type { SqlTraitKeyKind } from './sql-traits.repository';

/** The longest SELECT accepted (characters). */
export const MAX_SQL_LENGTH = 100_000;

const sql = z
  .string()
  .max(MAX_SQL_LENGTH)
  // A trailing ';' (and what follows it when it is only white space) is not a second statement.
  .transform((text) => text.replace(/[\s;]+$/, ''))
  .refine((text) => text.trim().length > 0, 'must be a SELECT, not empty')
  .describe('one SELECT over the views profiles, identities, events, memberships; returns the key column and value columns');
const keyKind = z
  .enum(KEY_KINDS as [SqlTraitKeyKind, ...SqlTraitKeyKind[]])
  .describe('which column is the profile key: profile_id, user_id or email (default: the one such column the query returns)');
const key = z.string().regex(SQL_TRAIT_KEY_PATTERN, 'must be 1-63 characters: a lower-case letter, then lower-case letters, digits or _');

export const sqlTraitPreviewSchema = z.object({ sql, keyKind: keyKind.optional() }).strict();

export const sqlTraitCreateSchema = z
  .object({
    key,
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(2_000).default(''),
    owner: z.string().min(1).max(200),
    cadence: z.string().min(1).max(100).default('manual').describe('"manual" or a cron expression (UTC)'),
    sql,
    keyKind: keyKind.optional(),
  })
  .strict();

export const sqlTraitUpdateSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(2_000).optional(),
    owner: z.string().min(1).max(200).optional(),
    cadence: z.string().min(1).max(100).optional(),
    sql: sql.optional(),
    keyKind: keyKind.optional(),
  })
  .strict();

export const sqlTraitKeyParamsSchema = z.object({ key });

export type SqlTraitPreviewInput = z.infer<typeof sqlTraitPreviewSchema>;
export type SqlTraitCreateInput = z.infer<typeof sqlTraitCreateSchema>;
export type SqlTraitUpdateInput = z.infer<typeof sqlTraitUpdateSchema>;
