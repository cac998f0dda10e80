import { z } from 'zod';
import { DataSource } from 'typeorm';
import { AnyConnectorDefinition, ConnectorLimits, EligibleMember, RecordOutcome } from '@audiencekit/connector-sdk';
import type { JobQueue } from '@audiencekit/server-core';
import { DestinationGates } from '../delivery/destination-gates';
import { OnChangeFlusher } from '../on-change/on-change-flusher';
import { resolveSyncEngineOptions, SyncEngineOptions } from '../sync-engine.options';
import { SyncRunner } from '../sync-runner';
import { SyncService } from '../sync.service';

/** Test options: fast backoffs and timeouts so fault tests take milliseconds, not minutes. */
export const FAST_OPTIONS: Partial<SyncEngineOptions> = {
  callTimeoutMs: 300,
  maxAttempts: 3,
  maxMemberAttempts: 3,
  initialBackoffMs: 1,
  maxBackoffMs: 5,
  maxRetryAfterMs: 1_000,
  breakerThreshold: 1_000,
  breakerHalfOpenMs: 1_000,
};

export interface Engine {
  service: SyncService;
  runner: SyncRunner;
  /** The per-destination gates (rate limiter and breaker) the runner uses. */
  gates: DestinationGates;
  /** Jobs "enqueued" by requestSync (the queue itself is exercised by the worker tests). */
  jobs: { queue: string; data: { runId: string } }[];
  /** The on-change flusher over the same recorded queue. */
  flusher: OnChangeFlusher;
}

/** The engine over a real database; the job queue is replaced by a recorder (jobs are executed by the test). */
export function buildEngine(
  dataSource: DataSource,
  connectors: AnyConnectorDefinition[],
  options: Partial<SyncEngineOptions> = {},
  config: Record<string, unknown> = {},
  /** Per-process gates by default; `new DestinationGates(dataSource, options)` for the deployment-wide limiter. */
  gates = new DestinationGates(),
): Engine {
  const resolved = resolveSyncEngineOptions({ ...FAST_OPTIONS, ...options });
  const runner = new SyncRunner(dataSource, connectors, config, resolved, gates);
  const jobs: Engine['jobs'] = [];
  const queue = {
    ensureQueue: async () => undefined,
    sendInTransaction: async (_manager: unknown, name: string, data: { runId: string }) => {
      jobs.push({ queue: name, data });
      return 'job';
    },
  } as unknown as JobQueue;
  return {
    service: new SyncService(dataSource, queue, runner, resolved),
    runner,
    gates,
    jobs,
    flusher: new OnChangeFlusher(dataSource, queue, resolved),
  };
}

export type Behaviour = (members: readonly EligibleMember[], call: number) => Promise<unknown> | unknown;

export interface RecordingConnector {
  definition: AnyConnectorDefinition;
  /** Every call, in order: which method, the members it received, and the idempotency key. */
  calls: { method: 'upsert' | 'remove' | 'send'; members: EligibleMember[]; key: string }[];
  received(method?: 'upsert' | 'remove' | 'send'): string[];
}

/**
 * An in-process connector that records what it receives and answers with `behaviour` (default:
 * every member delivered). A plain ConnectorDefinition object, as a plugin would declare it.
 */
export function recordingConnector(input: {
  slug?: string;
  deliveryModel?: 'list' | 'send';
  channel?: 'email' | 'sms' | 'ads' | 'webhook';
  maxBatchSize?: number;
  requiredIdentifiers?: ('email' | 'phone' | 'external_id')[];
  behaviour?: Behaviour;
  withRemove?: boolean;
  audienceSize?: number;
  /** Overrides `maxBatchSize` (e.g. to declare `refreshMembershipAfterDays`). */
  limits?: ConnectorLimits;
  limitsFor?: (settings: any) => ConnectorLimits;
}): RecordingConnector {
  const calls: RecordingConnector['calls'] = [];
  const behaviour: Behaviour =
    input.behaviour ?? ((members) => members.map((member): RecordOutcome => ({ profileId: member.profileId, status: 'delivered' })));
  const record = (method: 'upsert' | 'remove' | 'send') => async (ctx: { idempotencyKey: string }, members: readonly EligibleMember[]) => {
    calls.push({ method, members: [...members], key: ctx.idempotencyKey });
    return behaviour(members, calls.length) as Promise<RecordOutcome[]>;
  };
  const isSend = input.deliveryModel === 'send';
  const definition: AnyConnectorDefinition = {
    slug: input.slug ?? 'recording',
    displayName: 'Recording test connector',
    channel: input.channel ?? (isSend ? 'sms' : 'email'),
    deliveryModel: input.deliveryModel ?? 'list',
    settings: z.object({}).passthrough(),
    secrets: z.object({}).passthrough(),
    requiredIdentifiers: input.requiredIdentifiers ?? (isSend ? ['phone'] : ['email']),
    limits: input.limits ?? { maxBatchSize: input.maxBatchSize ?? 50 },
    ...(input.limitsFor ? { limitsFor: input.limitsFor } : {}),
    testConnection: async () => undefined,
    ...(isSend
      ? { send: (ctx: { idempotencyKey: string }, batch: { members: readonly EligibleMember[] }) => record('send')(ctx, batch.members) }
      : { upsert: record('upsert'), ...(input.withRemove === false ? {} : { remove: record('remove') }) }),
    ...(input.audienceSize !== undefined ? { audienceSize: async () => input.audienceSize } : {}),
  };
  return {
    definition,
    calls,
    received: (method) =>
      calls.filter((call) => !method || call.method === method).flatMap((call) => call.members.map((member) => member.profileId)),
  };
}

export interface Seeded {
  segmentId: string;
  destinationId: string;
  activationId: string;
  profileIds: string[];
}

/** A segment with `count` members, each with an e-mail address and a phone number. */
export async function seedSegment(
  dataSource: DataSource,
  count: number,
  key = `seg_${Math.random().toString(36).slice(2, 10)}`,
): Promise<{ segmentId: string; profileIds: string[] }> {
  const [segment] = await dataSource.query(
    `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ($1, $1, 'test', 'manual', 1) RETURNING id`,
    [key],
  );
  const [run] = await dataSource.query(
    `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at, started_at, finished_at) VALUES ($1, 1, 'succeeded', 'manual', now(), now(), now()) RETURNING id`,
    [segment.id],
  );
  const profileIds = await addMembers(dataSource, segment.id, run.id, count);
  return { segmentId: segment.id, profileIds };
}

let serial = 0;

/** Adds `count` new profiles (with e-mail and phone identities) to the segment's membership. */
export async function addMembers(dataSource: DataSource, segmentId: string, runId: string | null, count: number): Promise<string[]> {
  const start = serial;
  serial += count;
  const rows: { id: string }[] = await dataSource.query(
    `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series($1::int + 1, $1::int + $2::int) g RETURNING id, (traits->>'n')::int AS n),
          e AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', 'user' || n || '@example.com', id FROM p),
          ph AS (INSERT INTO identities (type, value, profile_id) SELECT 'phone', '+1555' || lpad(n::text, 7, '0'), id FROM p),
          m AS (INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $3, id, now(), coalesce($4::uuid, gen_random_uuid()) FROM p)
     SELECT id FROM p ORDER BY n`,
    [start, count, segmentId, runId],
  );
  return rows.map((row) => row.id);
}

export async function removeMembers(dataSource: DataSource, segmentId: string, profileIds: string[]): Promise<void> {
  await dataSource.query(`DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id = ANY($2::uuid[])`, [segmentId, profileIds]);
}

export async function seedActivation(
  dataSource: DataSource,
  input: {
    segmentId: string;
    connector: string;
    mode: 'mirror' | 'add_only' | 'send';
    holdoutShare?: number;
    salt?: string;
    message?: Record<string, unknown>;
    settings?: Record<string, unknown>;
  },
): Promise<{ destinationId: string; activationId: string }> {
  const [destination] = await dataSource.query(
    `INSERT INTO destinations (name, connector, settings) VALUES ('test', $1, $2) RETURNING id`,
    [input.connector, input.settings ?? {}],
  );
  const [activation] = await dataSource.query(
    `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule, message)
     VALUES ('test activation', $1, $2, $3, $4, $5, 'manual', $6) RETURNING id`,
    [input.segmentId, destination.id, input.mode, input.holdoutShare ?? 0, input.salt ?? `salt-${Math.random()}`, input.message ?? null],
  );
  return { destinationId: destination.id, activationId: activation.id };
}

export async function setGlobalHoldout(dataSource: DataSource, share: number, salt = 'global-test-salt'): Promise<void> {
  await dataSource.query(`UPDATE global_holdout SET share = $1, salt = $2 WHERE id = 1`, [share, salt]);
}

/** Requests a sync and executes its job right away, as a worker would. */
export async function syncNow(engine: Engine, activationId: string) {
  const run = await engine.service.requestSync(activationId);
  const outcome = await engine.service.execute(run.id);
  return { outcome, run: await engine.service.getRun(run.id) };
}

/** Profiles (with e-mail and phone identities) that are in no segment yet. */
export async function createProfiles(dataSource: DataSource, count: number): Promise<string[]> {
  const start = serial;
  serial += count;
  const rows: { id: string }[] = await dataSource.query(
    `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series($1::int + 1, $1::int + $2::int) g RETURNING id, (traits->>'n')::int AS n),
          e AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', 'user' || n || '@example.com', id FROM p),
          ph AS (INSERT INTO identities (type, value, profile_id) SELECT 'phone', '+1555' || lpad(n::text, 7, '0'), id FROM p)
     SELECT id FROM p ORDER BY n`,
    [start, count],
  );
  return rows.map((row) => row.id);
}

/**
 * Moves profiles into (`added`) or out of (`removed`) a segment exactly as the real-time engine does:
 * the membership and its change rows in one transaction, `cause = 'realtime'` without a run (or
 * `refresh` with `runId`, as a reconciliation does).
 */
export async function recordChanges(
  dataSource: DataSource,
  segmentId: string,
  change: 'added' | 'removed',
  profileIds: string[],
  refreshRunId: string | null = null,
): Promise<void> {
  if (profileIds.length === 0) return;
  await dataSource.transaction(async (tx) => {
    if (change === 'added')
      await tx.query(
        `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), $3 ON CONFLICT DO NOTHING`,
        [segmentId, profileIds, refreshRunId],
      );
    else await tx.query(`DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id = ANY($2::uuid[])`, [segmentId, profileIds]);
    await tx.query(
      `INSERT INTO segment_membership_changes (run_id, segment_id, profile_id, change, version, changed_at, cause)
       SELECT $3, $1, unnest($2::uuid[]), $4, 1, now(), $5`,
      [segmentId, profileIds, refreshRunId, change, refreshRunId ? 'refresh' : 'realtime'],
    );
  });
}

/** Sets an activation's schedule (e.g. `on_change`) as the admin API would. */
export async function setSchedule(dataSource: DataSource, activationId: string, schedule: string): Promise<void> {
  await dataSource.query(`UPDATE activations SET schedule = $2 WHERE id = $1`, [activationId, schedule]);
}

/** One flush, then the jobs it queued executed right away, as a worker would; returns the runs. */
export async function flushNow(engine: Engine) {
  const flushed = await engine.flusher.flushOnce();
  const runs = [];
  for (const { runId } of flushed) {
    await engine.service.execute(runId);
    runs.push(await engine.service.getRun(runId));
  }
  return runs;
}
