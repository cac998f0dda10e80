import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DestinationGates, DirectDelivery, resolveSyncEngineOptions } from '@audiencekit/activation-engine';
import { JourneyEngine, JourneyEngineOptions } from '@audiencekit/journey-engine';
import type { JourneyDefinition } from '@audiencekit/journeys';
import { JourneyEntity, JourneyVersionEntity } from '@audiencekit/persistence';
import { sendgridContactsConnector, sendgridEmail } from '@audiencekit/plugin-sendgrid';
import { AppConfig, loadConfig, SecretBox } from '@audiencekit/server-core';

/** Test data for the journey specs: segments, profiles with e-mails, a SendGrid mail destination, journeys. */
export const KEY_RING = `journeys:${randomBytes(32).toString('base64')}`;

export function journeyConfig(databaseUrl: string, sendgridUrl: string): AppConfig {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    AK_SECRETS_KEYS: KEY_RING,
    AK_CONNECTOR_BASE_URLS: `sendgrid-email=${sendgridUrl},sendgrid=${sendgridUrl}`,
  });
}

/** The engine over a real database and the real SendGrid mail connector, without Nest (each call: its own gates). */
export function buildJourneyEngine(dataSource: DataSource, config: AppConfig, options: Partial<JourneyEngineOptions> = {}): JourneyEngine {
  const engineOptions = resolveSyncEngineOptions({ callTimeoutMs: 5_000, initialBackoffMs: 5, maxBackoffMs: 20 });
  const delivery = new DirectDelivery(dataSource, [sendgridEmail, CONTACTS], config, new DestinationGates(), engineOptions);
  return new JourneyEngine(dataSource, delivery, { leaseSeconds: 60, ...options });
}

export async function seedMailDestination(dataSource: DataSource): Promise<string> {
  const sealed = new SecretBox(KEY_RING).seal(JSON.stringify({ apiKey: 'SG.journey-test-key' }));
  const [destination] = await dataSource.query(
    `INSERT INTO destinations (name, connector, settings, secrets_ciphertext, secrets_key_id) VALUES ('mail', 'sendgrid-email', $1, $2, $3) RETURNING id`,
    [{ fromEmail: 'offers@example.com' }, sealed.ciphertext, sealed.keyId],
  );
  return destination.id;
}

/** The contacts (list) connector with fast import-job polling, for audience steps. */
const CONTACTS = sendgridContactsConnector({ poll: { delaysMs: [5], maxWaitMs: 2_000 } });

/** A SendGrid contacts destination (a list connector: audience steps). */
export async function seedListDestination(dataSource: DataSource): Promise<string> {
  const sealed = new SecretBox(KEY_RING).seal(JSON.stringify({ apiKey: 'SG.journey-test-key' }));
  const [destination] = await dataSource.query(
    `INSERT INTO destinations (name, connector, settings, secrets_ciphertext, secrets_key_id) VALUES ('list', 'sendgrid', '{}', $1, $2) RETURNING id`,
    [sealed.ciphertext, sealed.keyId],
  );
  return destination.id;
}

let serial = 0;

/** A segment and `count` profiles with e-mail identities (not members yet). */
export async function seedSegmentAndProfiles(
  dataSource: DataSource,
  count: number,
): Promise<{ segmentId: string; profiles: { id: string; email: string }[] }> {
  const key = `seg_${randomUUID().slice(0, 8)}`;
  const [segment] = await dataSource.query(
    `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ($1, $1, 'test', 'manual', 1) RETURNING id`,
    [key],
  );
  const start = serial;
  serial += count;
  const rows: { id: string; email: string }[] = await dataSource.query(
    `WITH p AS (INSERT INTO profiles (traits) SELECT jsonb_build_object('n', g) FROM generate_series($1::int + 1, $1::int + $2::int) g RETURNING id, (traits->>'n')::int AS n),
          e AS (INSERT INTO identities (type, value, profile_id) SELECT 'email', 'journey' || n || '@example.com', id FROM p RETURNING profile_id, value)
     SELECT e.profile_id AS id, e.value AS email FROM e JOIN p ON p.id = e.profile_id ORDER BY p.n`,
    [start, count],
  );
  return { segmentId: segment.id, profiles: rows };
}

/** Profiles enter the segment as real time does: membership and `added` change rows in one transaction (the trigger fills the journeys' outbox). */
export async function enterSegment(dataSource: DataSource, segmentId: string, profileIds: string[]): Promise<void> {
  await dataSource.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), NULL ON CONFLICT DO NOTHING`,
      [segmentId, profileIds],
    );
    await tx.query(
      `INSERT INTO segment_membership_changes (run_id, segment_id, profile_id, change, version, changed_at, cause)
       SELECT NULL, $1, unnest($2::uuid[]), 'added', 1, now(), 'realtime'`,
      [segmentId, profileIds],
    );
  });
}

export async function leaveSegment(dataSource: DataSource, segmentId: string, profileIds: string[]): Promise<void> {
  await dataSource.transaction(async (tx) => {
    await tx.query(`DELETE FROM segment_memberships WHERE segment_id = $1 AND profile_id = ANY($2::uuid[])`, [segmentId, profileIds]);
    await tx.query(
      `INSERT INTO segment_membership_changes (run_id, segment_id, profile_id, change, version, changed_at, cause)
       SELECT NULL, $1, unnest($2::uuid[]), 'removed', 1, now(), 'realtime'`,
      [segmentId, profileIds],
    );
  });
}

/** A live journey with its first version (as the admin API makes one). */
export async function seedJourney(dataSource: DataSource, definition: JourneyDefinition, salt = `salt-${randomUUID()}`): Promise<string> {
  const journey = await dataSource.getRepository(JourneyEntity).save({
    key: `j_${randomUUID().slice(0, 8)}`,
    name: 'test journey',
    status: 'live',
    currentVersion: 1,
    holdoutSalt: salt,
  });
  await dataSource.getRepository(JourneyVersionEntity).insert({
    journeyId: journey.id,
    version: 1,
    entrySegmentId: definition.entrySegmentId,
    definition: { ...definition },
  });
  return journey.id;
}

/** Publishes a new version and makes it current (entries in flight keep theirs). */
export async function publishVersion(
  dataSource: DataSource,
  journeyId: string,
  version: number,
  definition: JourneyDefinition,
): Promise<void> {
  await dataSource.getRepository(JourneyVersionEntity).insert({
    journeyId,
    version,
    entrySegmentId: definition.entrySegmentId,
    definition: { ...definition },
  });
  await dataSource.getRepository(JourneyEntity).update({ id: journeyId }, { currentVersion: version });
}

/** An event on a profile at a given time (a conversion, an open). */
export async function recordEvent(dataSource: DataSource, profileId: string, name: string, at: Date): Promise<void> {
  await dataSource.query(
    `INSERT INTO events (message_id, profile_id, type, name, timestamp, received_at) VALUES ($1, $2, 'track', $3, $4, $4)`,
    [randomUUID(), profileId, name, at],
  );
}

export async function entriesOf(
  dataSource: DataSource,
  journeyId: string,
): Promise<
  { id: string; profile_id: string; arm: string; state: string; outcome: string | null; version: number; entry_number: number }[]
> {
  return dataSource.query(
    `SELECT id, profile_id, arm, state, outcome, version, entry_number FROM journey_entries WHERE journey_id = $1 ORDER BY profile_id, entry_number`,
    [journeyId],
  );
}

export async function stepLog(
  dataSource: DataSource,
  journeyId: string,
): Promise<{ entry_id: string; step_id: string; outcome: string; delivery_key: string | null }[]> {
  return dataSource.query(
    `SELECT entry_id, step_id, outcome, delivery_key FROM journey_step_log WHERE journey_id = $1 ORDER BY entry_id, step_id`,
    [journeyId],
  );
}

export const hours = (base: Date, count: number): Date => new Date(base.getTime() + count * 3600 * 1000);
