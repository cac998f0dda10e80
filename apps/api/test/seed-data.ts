import { DataSource } from 'typeorm';

let sequence = 0;

/** Inserts a profile with `traits` and returns its id. */
export async function insertProfile(dataSource: DataSource, traits: Record<string, unknown> = {}): Promise<string> {
  const [row] = await dataSource.query(`INSERT INTO profiles (traits) VALUES ($1) RETURNING id`, [traits]);
  return row.id;
}

/** Inserts a track event for `profileId` at `timestamp`. */
export async function insertEvent(
  dataSource: DataSource,
  profileId: string,
  name: string,
  timestamp: Date,
  properties: Record<string, unknown> = {},
): Promise<void> {
  sequence += 1;
  await dataSource.query(
    `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', $3, $4, $5)`,
    [`test-${process.pid}-${Date.now()}-${sequence}`, profileId, name, timestamp, properties],
  );
}

export const daysAgo = (days: number, from: Date = new Date()): Date => new Date(from.getTime() - days * 86_400_000);
