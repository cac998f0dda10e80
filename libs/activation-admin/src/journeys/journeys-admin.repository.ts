import type { EntityManager } from 'typeorm';

/** SQL of the journeys' admin views (issue #23); rows go through TypeORM. Goldens: `src/__tests__/__golden__/journeys-admin.repository.sql`. */

export interface JourneyEntryCounts {
  entered: number;
  inFlight: number;
  goalReached: number;
}

/**
 * Per journey: entries ever made (every arm: treatment, control, global holdout), entries not done
 * yet, and entries that exited on their goal. Journeys without entries are absent from the map.
 */
export async function journeyEntryCounts(db: EntityManager, journeyIds: string[]): Promise<Map<string, JourneyEntryCounts>> {
  if (journeyIds.length === 0) return new Map();
  const rows: { journey_id: string; entered: number; in_flight: number; goal_reached: number }[] = await db.query(
    `SELECT journey_id,
            count(*)::int AS entered,
            count(*) FILTER (WHERE state <> 'done')::int AS in_flight,
            count(*) FILTER (WHERE outcome = 'goal_reached')::int AS goal_reached
     FROM journey_entries
     WHERE journey_id = ANY($1::uuid[])
     GROUP BY journey_id`,
    [journeyIds],
  );
  return new Map(rows.map((row) => [row.journey_id, { entered: row.entered, inFlight: row.in_flight, goalReached: row.goal_reached }]));
}
