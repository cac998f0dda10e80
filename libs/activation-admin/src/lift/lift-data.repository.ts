import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AnalyticsDatabase } from '@audiencekit/server-core';

export type LiftArm = 'treatment' | 'control';

/** What the lift report needs about one arm, aggregated in Postgres (no member rows reach Node). */
export interface ArmAggregate {
  members: number;
  conversions: number;
  /** Σ and Σ² of the KPI value per member (0 for members without one). */
  revenueSum: number;
  revenueSumOfSquares: number;
  /** KPI events of the arm that carried a numeric value. */
  valuedEvents: number;
  /** CUPED covariate: did the member have the KPI in the same-length window before exposure. */
  sumX: number;
  sumXY: number;
  firstExposedAt: Date | null;
  lastExposedAt: Date | null;
}

export interface BaselineAggregate {
  members: number;
  conversions: number;
  revenueSum: number;
  revenueSumOfSquares: number;
}

export interface KpiSpec {
  event: string;
  windowDays: number;
  /** Value property names tried in order (the segment's `valueProperty`, else `revenue`, `value`). */
  valueProperties: [string, string];
}

// A member's first exposure decides their arm (intent to treat): a later share change that moved
// them to control does not undo a message already sent. Global-holdout rows belong to neither arm.
const FIRST_EXPOSURE = `
  SELECT DISTINCT ON (x.profile_id) x.profile_id, x.arm, x.exposed_at, x.sync_run_id
  FROM activation_exposures x
  WHERE x.activation_id = $1 AND x.exposed_at <= $2
  ORDER BY x.profile_id, x.exposed_at, x.arm`;

// The KPI value of an event: the first of the two properties holding a number (or numeric string).
const VALUE = (p: string) => `
  CASE WHEN jsonb_typeof(e.properties -> ${p}) = 'number' THEN (e.properties ->> ${p})::float8
       WHEN jsonb_typeof(e.properties -> ${p}) = 'string' AND (e.properties ->> ${p}) ~ '^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$' THEN (e.properties ->> ${p})::float8 END`;

// An event counts as after the member's exposure when it is, or when it is about this activation's
// own message (libs/vendor-events tags a vendor callback with the activation of its delivery key):
// such a callback may be stored before the exposure is committed, or carry the vendor's coarser
// clock, yet it cannot precede the send.
const AFTER_EXPOSURE = `(e.timestamp >= m.exposed_at OR e.properties ->> 'activationId' = $1::text)`;

/**
 * The lift report's SQL. Per member of an arm, over the KPI events in [exposed − W, exposed + W)
 * capped at `asOf`: Y = any KPI event at or after exposure, the value summed over those, X = any KPI
 * event in the W before exposure (the CUPED covariate). Then one row of sums per arm.
 */
const ARM_SQL = `
  WITH first_exposure AS (${FIRST_EXPOSURE}),
  member AS (SELECT profile_id, exposed_at FROM first_exposure WHERE arm = $3),
  per_member AS (
    SELECT m.profile_id, m.exposed_at,
           COALESCE(k.y, 0)::float8 AS y, COALESCE(k.v, 0)::float8 AS v, COALESCE(k.x, 0)::float8 AS x, COALESCE(k.valued, 0) AS valued
    FROM member m
    LEFT JOIN LATERAL (
      SELECT max(CASE WHEN ${AFTER_EXPOSURE} THEN 1 ELSE 0 END) AS y,
             sum(CASE WHEN ${AFTER_EXPOSURE} THEN COALESCE(${VALUE('$5::text')}, ${VALUE('$6::text')}, 0) ELSE 0 END) AS v,
             max(CASE WHEN ${AFTER_EXPOSURE} THEN 0 ELSE 1 END) AS x,
             count(COALESCE(${VALUE('$5::text')}, ${VALUE('$6::text')})) FILTER (WHERE ${AFTER_EXPOSURE}) AS valued
      FROM events e
      WHERE e.profile_id = m.profile_id AND e.type = 'track' AND e.name = $4
        AND e.timestamp >= m.exposed_at - $7::int * interval '1 day'
        AND e.timestamp < LEAST(m.exposed_at + $7::int * interval '1 day', $2)
    ) k ON true
  )
  SELECT count(*)::int AS members,
         COALESCE(sum(y), 0)::float8 AS conversions,
         COALESCE(sum(v), 0)::float8 AS revenue_sum,
         COALESCE(sum(v * v), 0)::float8 AS revenue_sq,
         COALESCE(sum(valued), 0)::float8 AS valued,
         COALESCE(sum(x), 0)::float8 AS sum_x,
         COALESCE(sum(x * y), 0)::float8 AS sum_xy,
         min(exposed_at) AS first_exposed_at,
         max(exposed_at) AS last_exposed_at
  FROM per_member`;

/** The whole live population's KPI over [start, end): the "full base" to read a segment against. */
const BASELINE_SQL = `
  WITH converted AS (
    SELECT e.profile_id, sum(COALESCE(${VALUE('$4::text')}, ${VALUE('$5::text')}, 0)) AS v
    FROM events e
    WHERE e.type = 'track' AND e.name = $1 AND e.timestamp >= $2 AND e.timestamp < $3
    GROUP BY e.profile_id
  )
  SELECT (SELECT count(*)::int FROM profiles WHERE deleted_at IS NULL AND merged_into IS NULL) AS members,
         count(*)::int AS conversions,
         COALESCE(sum(c.v), 0)::float8 AS revenue_sum,
         COALESCE(sum(c.v * c.v), 0)::float8 AS revenue_sq
  FROM converted c JOIN profiles p ON p.id = c.profile_id AND p.deleted_at IS NULL AND p.merged_into IS NULL`;

/** Members (both arms) first exposed by the activation's first sync run: its audience at launch. */
const LAUNCH_SIZE_SQL = `
  WITH first_exposure AS (${FIRST_EXPOSURE}),
  launch AS (SELECT sync_run_id FROM first_exposure WHERE arm IN ('treatment', 'control') ORDER BY exposed_at LIMIT 1)
  SELECT count(*)::int AS members FROM first_exposure f, launch l
  WHERE f.arm IN ('treatment', 'control') AND f.sync_run_id IS NOT DISTINCT FROM l.sync_run_id`;

/**
 * Reads the aggregates of the lift report from `activation_exposures`, `events` and `profiles`, on
 * the analytics pool (statement timeout, its own connections: a heavy report is a 422
 * analytics_timeout and never holds a connection tracking or the worker needs).
 */
@Injectable()
export class LiftDataRepository {
  /** The analytics pool (DatabaseModule provides it); built by hand (tests), the data source's own pool. */
  private readonly analytics: Pick<AnalyticsDatabase, 'run'>;

  constructor(@InjectDataSource() dataSource: DataSource, @Optional() analytics?: AnalyticsDatabase) {
    this.analytics = analytics ?? { run: (work) => work(dataSource.manager) };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private query(sql: string, parameters: unknown[]): Promise<any[]> {
    return this.analytics.run((manager) => manager.query(sql, parameters));
  }

  async arm(activationId: string, arm: LiftArm, kpi: KpiSpec, asOf: Date): Promise<ArmAggregate> {
    const [row] = await this.query(ARM_SQL, [activationId, asOf, arm, kpi.event, ...kpi.valueProperties, kpi.windowDays]);
    return {
      members: row.members,
      conversions: Number(row.conversions),
      revenueSum: Number(row.revenue_sum),
      revenueSumOfSquares: Number(row.revenue_sq),
      valuedEvents: Number(row.valued),
      sumX: Number(row.sum_x),
      sumXY: Number(row.sum_xy),
      firstExposedAt: row.first_exposed_at,
      lastExposedAt: row.last_exposed_at,
    };
  }

  async baseline(kpi: KpiSpec, window: { start: Date; end: Date }): Promise<BaselineAggregate> {
    const [row] = await this.query(BASELINE_SQL, [kpi.event, window.start, window.end, ...kpi.valueProperties]);
    return {
      members: row.members,
      conversions: row.conversions,
      revenueSum: Number(row.revenue_sum),
      revenueSumOfSquares: Number(row.revenue_sq),
    };
  }

  async launchSize(activationId: string, asOf: Date): Promise<number> {
    const [row] = await this.query(LAUNCH_SIZE_SQL, [activationId, asOf]);
    return row?.members ?? 0;
  }
}
