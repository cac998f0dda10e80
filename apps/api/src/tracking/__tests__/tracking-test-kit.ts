import { DataSource } from 'typeorm';
import type { ApiKeyTrust } from '@audiencekit/persistence';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { RunningApi, startTestApi } from '../../../test/api-test-app';

export interface TrackingTestApi {
  db: TestDatabase;
  api: RunningApi;
  writeKey: string;
}

/** A database of the test file's own, the real API booted on it, and a source's write key. */
export async function startTrackingApi(): Promise<TrackingTestApi> {
  const db = await createTestDatabase();
  const api = await startTestApi(db.url);
  return { db, api, writeKey: await createWriteKey(api) };
}

export async function stopTrackingApi({ db, api }: Partial<TrackingTestApi>): Promise<void> {
  await api?.close();
  await db?.drop();
}

/**
 * A write key for the running API (what a source is given). `server` by default: these tests send
 * as the Segment and RudderStack server libraries do; `client` is a browser's key.
 */
export async function createWriteKey(api: RunningApi, trust: ApiKeyTrust = 'server'): Promise<string> {
  return (await api.app.get(ApiKeyService).create('test source', 'write', trust)).secret;
}

export function basicAuth(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

export async function countRows(dataSource: DataSource): Promise<{ events: number; profiles: number; identities: number }> {
  const [row] = await dataSource.query(
    `SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM profiles) AS profiles, (SELECT count(*)::int FROM identities) AS identities`,
  );
  return row;
}

/** The live profile holding an identifier, with its identities and events. */
export async function profileOf(dataSource: DataSource, type: string, value: string) {
  const [profile] = await dataSource.query(
    `SELECT p.* FROM profiles p JOIN identities i ON i.profile_id = p.id WHERE i.type = $1 AND i.value = $2`,
    [type, value],
  );
  if (!profile) return undefined;
  const identities = await dataSource.query(`SELECT type, value FROM identities WHERE profile_id = $1 ORDER BY type, value`, [profile.id]);
  const events = await dataSource.query(
    `SELECT message_id, type, name, properties, timestamp, user_id, anonymous_id, source_id FROM events WHERE profile_id = $1 ORDER BY timestamp, id`,
    [profile.id],
  );
  return { ...profile, identities, events } as {
    id: string;
    traits: Record<string, unknown>;
    merged_into: string | null;
    identities: { type: string; value: string }[];
    events: {
      message_id: string;
      type: string;
      name: string | null;
      properties: Record<string, unknown>;
      timestamp: Date;
      user_id: string | null;
      anonymous_id: string | null;
      source_id: string | null;
    }[];
  };
}
