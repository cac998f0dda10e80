import { createHash, randomInt } from 'node:crypto';
import { ConnectorContext, delivered, EligibleMember, PayloadValidationError, RecordOutcome, rejected } from '@audiencekit/connector-sdk';
import { formBody, metaRequest } from './meta-client';
import { META_SCHEMA, metaRow } from './meta-hashing';
import type { MetaSecrets, MetaSettings } from './meta-settings';

/** Meta takes at most 10,000 users per request to `/users` and `/usersreplace`. */
export const META_MAX_USERS_PER_REQUEST = 10_000;

type MetaContext = ConnectorContext<MetaSettings, MetaSecrets>;

/** Answer of `/users` and `/usersreplace`. */
export interface MetaUsersResponse {
  audience_id?: string;
  session_id?: string | number;
  num_received?: number;
  num_invalid_entries?: number;
  /** Sample of refused values (our hashes), each with Meta's reason. */
  invalid_entry_samples?: Record<string, string> | string[];
}

/** The session parameters of one batch of a multi-batch replace (`/usersreplace`). */
export interface MetaReplaceBatch {
  /** The same for every batch of one replace: see `metaReplaceSessionId`. */
  sessionId: number;
  /** 1-based position of this batch. */
  batchSeq: number;
  lastBatch: boolean;
  /** How many members the whole replace will send, if known (Meta uses it to report progress). */
  estimatedTotal?: number;
}

/**
 * A stable numeric session id from a key of the whole replace (e.g. the sync run id), so a resumed
 * replace continues the same Meta session instead of opening a second one.
 */
export function metaReplaceSessionId(replaceKey: string): number {
  return Number.parseInt(createHash('sha256').update(replaceKey).digest('hex').slice(0, 13), 16);
}

/**
 * A fresh numeric id for one upload session of `/users` (Meta's guide lists `session` as required
 * there, `session_id` a 64-bit integer); below 2^47 so it stays exact in JSON and JavaScript.
 */
export function metaUploadSessionId(): number {
  return randomInt(1, 2 ** 47);
}

/**
 * Adds (`POST`) or removes (`DELETE`) members of the activation's custom audience. Each call is one
 * upload session of one batch (at most 10,000 rows): `batch_seq` 1 and `last_batch_flag` true.
 */
export async function sendMetaUsers(
  ctx: MetaContext,
  method: 'POST' | 'DELETE',
  members: readonly EligibleMember[],
): Promise<RecordOutcome[]> {
  return upload(ctx, members, (payload) => {
    const session = { session_id: metaUploadSessionId(), batch_seq: 1, last_batch_flag: true, estimated_num_total: payload.data.length };
    return metaRequest<MetaUsersResponse>(ctx, { method, url: `/${audienceIdOf(ctx)}/users`, data: formBody({ payload, session }) });
  });
}

/**
 * One batch of a full replace: Meta swaps the audience's members for everything sent in the session
 * once the batch with `last_batch_flag` arrives; members not sent are dropped, without a removal call.
 */
export async function replaceMetaUsersBatch(
  ctx: MetaContext,
  members: readonly EligibleMember[],
  batch: MetaReplaceBatch,
): Promise<RecordOutcome[]> {
  const session = {
    session_id: batch.sessionId,
    batch_seq: batch.batchSeq,
    last_batch_flag: batch.lastBatch,
    ...(batch.estimatedTotal === undefined ? {} : { estimated_num_total: batch.estimatedTotal }),
  };
  return upload(ctx, members, (payload) =>
    metaRequest<MetaUsersResponse>(ctx, {
      method: 'POST',
      url: `/${audienceIdOf(ctx)}/usersreplace`,
      data: formBody({ payload, session }),
    }),
  );
}

/**
 * A whole replace over batches the caller made (each at most 10,000), one session, batches in order.
 * Stops at the first failure (the error is the core's to retry); resuming with the same `replaceKey`
 * and the remaining batches continues the session.
 */
export async function replaceMetaAudience(
  ctx: MetaContext,
  batches: readonly (readonly EligibleMember[])[],
  replaceKey: string,
  firstBatchSeq = 1,
): Promise<RecordOutcome[]> {
  const sessionId = metaReplaceSessionId(replaceKey);
  const estimatedTotal = batches.reduce((sum, batch) => sum + batch.length, 0);
  const outcomes: RecordOutcome[] = [];
  for (const [index, members] of batches.entries()) {
    const batch = { sessionId, batchSeq: firstBatchSeq + index, lastBatch: index === batches.length - 1, estimatedTotal };
    outcomes.push(...(await replaceMetaUsersBatch(ctx, members, batch)));
  }
  return outcomes;
}

type Post = (payload: { schema: readonly string[]; data: [string, string][] }) => Promise<MetaUsersResponse>;

async function upload(ctx: MetaContext, members: readonly EligibleMember[], post: Post): Promise<RecordOutcome[]> {
  if (members.length > META_MAX_USERS_PER_REQUEST) {
    throw new PayloadValidationError(
      `Meta takes at most ${META_MAX_USERS_PER_REQUEST} users a request (got ${members.length})`,
      'batch_too_large',
    );
  }
  const outcomes: RecordOutcome[] = [];
  const sent: { member: EligibleMember; row: [string, string] }[] = [];
  for (const member of members) {
    const row = metaRow(member);
    if (row) sent.push({ member, row });
    else outcomes.push(rejected(member, 'no email or phone to match on', 'no_identifier'));
  }
  if (sent.length === 0) return outcomes;
  const response = await post({ schema: META_SCHEMA, data: sent.map(({ row }) => row) });
  return [...outcomes, ...attribute(ctx, sent, response)];
}

/** Members whose hash Meta lists among the invalid samples are rejected; the rest are delivered. */
function attribute(
  ctx: MetaContext,
  sent: { member: EligibleMember; row: [string, string] }[],
  response: MetaUsersResponse,
): RecordOutcome[] {
  // Match reconciliation: Meta's own counts of this request, stored beside what was sent.
  ctx.reportVendorCounts?.({
    ...(typeof response.num_received === 'number' ? { received: response.num_received } : {}),
    ...(typeof response.num_invalid_entries === 'number' ? { invalid: response.num_invalid_entries } : {}),
  });
  const invalid = invalidSamples(response.invalid_entry_samples);
  const sessionId = response.session_id === undefined ? undefined : String(response.session_id);
  let attributed = 0;
  const outcomes = sent.map(({ member, row }) => {
    const hit = row.find((value) => value !== '' && invalid.has(value));
    if (hit === undefined) return delivered(member, sessionId);
    attributed += 1;
    return rejected(member, `Meta refused the entry: ${invalid.get(hit)}`, 'invalid_entry');
  });
  const reported = response.num_invalid_entries ?? 0;
  if (reported > attributed) {
    // Meta reports only a sample of invalid entries: the rest cannot be tied to a member.
    ctx.logger.warn('meta: invalid entries not attributable to members', { reported, attributed, sessionId });
  }
  return outcomes;
}

function invalidSamples(samples: MetaUsersResponse['invalid_entry_samples']): Map<string, string> {
  if (Array.isArray(samples)) return new Map(samples.map((value) => [value, 'invalid entry']));
  return new Map(Object.entries(samples ?? {}));
}

function audienceIdOf(ctx: MetaContext): string {
  const id = ctx.audience?.externalId ?? ctx.settings.existingAudienceId;
  if (!id) throw new PayloadValidationError('Meta: no custom audience yet (ensureAudience has not answered)', 'no_audience');
  return id;
}
