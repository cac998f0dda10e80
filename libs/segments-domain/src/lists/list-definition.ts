import { z } from 'zod';
import { SqlParameters, type CompiledSql } from '../sql/sql-parameters';

/** The identifier kinds a static list may be uploaded as (anonymous ids are not a list a marketer holds). */
export const LIST_IDENTIFIER_TYPES = ['email', 'phone', 'user_id'] as const;
export type ListIdentifierType = (typeof LIST_IDENTIFIER_TYPES)[number];

/**
 * A static list segment: its members are the profiles whose identities match the identifiers
 * uploaded with its version (`segment_list_entries`, keyed by segment and version). The definition
 * itself only says which kind of identifier the list holds; each upload is a new version.
 */
export interface ListDefinition {
  type: 'list';
  identifierType: ListIdentifierType;
}

export const listDefinitionSchema: z.ZodType<ListDefinition> = z
  .object({ type: z.literal('list'), identifierType: z.enum(LIST_IDENTIFIER_TYPES) })
  .strict();

/** Which uploaded list a list segment's query reads: the segment and the version being refreshed. */
export interface ListSource {
  segmentId: string;
  version: number;
}

/**
 * Members of a list segment as one parameterised query returning `profile_id`: the uploaded
 * identifiers of that version joined to identities of the list's kind (values are stored
 * normalised, as identities are).
 * @example compileListSql({ type: 'list', identifierType: 'email' }, { segmentId, version: 2 })
 */
export function compileListSql(definition: ListDefinition, source: ListSource): CompiledSql {
  const params = new SqlParameters();
  const text =
    `SELECT DISTINCT i.profile_id FROM segment_list_entries l ` +
    `JOIN identities i ON i.type = ${params.bind(definition.identifierType)} AND i.value = l.value ` +
    `WHERE l.segment_id = ${params.bind(source.segmentId)}::uuid AND l.version = ${params.bind(source.version)}::int`;
  return { text, values: params.values };
}
