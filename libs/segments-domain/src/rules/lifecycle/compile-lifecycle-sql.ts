import type { PropertyFilter } from '../definition.schema';
import { durationMs } from './duration';
import { Bounds, boundsAt, parsedWindow } from './lifecycle-evaluate';
import { FirstTimeCondition, LifecycleCondition, RegularlyCondition, SequenceCondition, StoppedCondition } from './lifecycle.schema';

/** What the rules compiler lends a lifecycle leaf: bind parameters, property filters, materialised sets. */
export interface LifecycleSqlParts {
  readonly now: Date;
  /** Appends a bind parameter and returns its placeholder (`$n`). */
  bind(value: unknown): string;
  /** A never-NULL boolean test of one property filter on `<alias>.properties`. */
  valueCondition(column: string, path: string, filter: PropertyFilter): string;
  /** `p.id IN (SELECT profile_id FROM bN)` over a MATERIALIZED CTE of the set. */
  memberOf(set: string): string;
}

/**
 * A lifecycle leaf as a never-NULL boolean on `p` (the semantics are in lifecycle.schema.ts). Every
 * value is a bind parameter. Each reads events through the (profile_id, name, timestamp) index:
 * the outer scan by name and time, the correlated EXISTS / NOT EXISTS probes by profile, name and a
 * time range.
 */
export function compileLifecycleSql(node: LifecycleCondition, parts: LifecycleSqlParts): string {
  switch (node.type) {
    case 'sequence':
      return sequenceSql(node, parts);
    case 'first_time':
      return firstTimeSql(node, parts);
    case 'stopped':
      return stoppedSql(node, parts);
    case 'regularly':
      return regularlySql(node, parts);
  }
}

const at = (parts: LifecycleSqlParts, ms: number) => `${parts.bind(new Date(ms).toISOString())}::timestamptz`;

function matching(parts: LifecycleSqlParts, alias: string, event: string, where: PropertyFilter[] | undefined): string[] {
  return [
    `${alias}.name = ${parts.bind(event)}`,
    ...(where ?? []).map((filter) => parts.valueCondition(`${alias}.properties`, filter.property, filter)),
  ];
}

function startTest(parts: LifecycleSqlParts, alias: string, bounds: Bounds): string[] {
  return bounds.start === null ? [] : [`${alias}.timestamp ${bounds.startInclusive ? '>=' : '>'} ${at(parts, bounds.start)}`];
}

function endTest(parts: LifecycleSqlParts, alias: string, bounds: Bounds): string {
  return `${alias}.timestamp ${bounds.endInclusive ? '<=' : '<'} ${at(parts, bounds.end)}`;
}

/** Step 1 scanned in the window; each later step a nested EXISTS strictly after the previous step and within `within` of step 1. */
function sequenceSql(node: SequenceCondition, parts: LifecycleSqlParts): string {
  const bounds = boundsAt(parsedWindow(node.window), parts.now.getTime());
  // Every step ends inside the window; the end bound is one parameter shared by all steps.
  const end = `${bounds.endInclusive ? '<=' : '<'} ${at(parts, bounds.end)}`;
  const within = `${parts.bind(`${durationMs(node.within)} milliseconds`)}::interval`;
  const [first, ...rest] = node.steps;
  let nested = '';
  for (let index = rest.length - 1; index >= 0; index--) {
    const alias = `s${index + 2}`;
    const previous = `s${index + 1}`;
    const tests = [
      `${alias}.profile_id = s1.profile_id`,
      ...matching(parts, alias, rest[index].event, rest[index].where),
      `${alias}.timestamp > ${previous}.timestamp`,
      `${alias}.timestamp <= s1.timestamp + ${within}`,
      `${alias}.timestamp ${end}`,
    ];
    nested = `EXISTS (SELECT 1 FROM events ${alias} WHERE ${tests.join(' AND ')}${nested ? ` AND ${nested}` : ''})`;
  }
  const outer = [...matching(parts, 's1', first.event, first.where), ...startTest(parts, 's1', bounds), `s1.timestamp ${end}`, nested];
  return `p.id IN (SELECT s1.profile_id FROM events s1 WHERE ${outer.join(' AND ')})`;
}

/** An event in the window and none of the same kind before the window's start. */
function firstTimeSql(node: FirstTimeCondition, parts: LifecycleSqlParts): string {
  const bounds = boundsAt(parsedWindow(node.window), parts.now.getTime());
  const tests = [...matching(parts, 'e', node.event, node.where), ...startTest(parts, 'e', bounds), endTest(parts, 'e', bounds)];
  if (bounds.start !== null) {
    const earlier = [
      'f.profile_id = e.profile_id',
      ...matching(parts, 'f', node.event, node.where),
      `f.timestamp ${bounds.startInclusive ? '<' : '<='} ${at(parts, bounds.start)}`,
    ];
    tests.push(`NOT EXISTS (SELECT 1 FROM events f WHERE ${earlier.join(' AND ')})`);
  }
  return `p.id IN (SELECT e.profile_id FROM events e WHERE ${tests.join(' AND ')})`;
}

/** An event in (now − quiet − active, now − quiet] and none in (now − quiet, now]. */
function stoppedSql(node: StoppedCondition, parts: LifecycleSqlParts): string {
  const now = parts.now.getTime();
  const quietSince = at(parts, now - durationMs(node.quiet));
  const activeSince = at(parts, now - durationMs(node.quiet) - durationMs(node.active));
  const quiet = [
    'q.profile_id = e.profile_id',
    ...matching(parts, 'q', node.event, node.where),
    `q.timestamp > ${quietSince}`,
    `q.timestamp <= ${at(parts, now)}`,
  ];
  const tests = [
    ...matching(parts, 'e', node.event, node.where),
    `e.timestamp > ${activeSince}`,
    `e.timestamp <= ${quietSince}`,
    `NOT EXISTS (SELECT 1 FROM events q WHERE ${quiet.join(' AND ')})`,
  ];
  return `p.id IN (SELECT e.profile_id FROM events e WHERE ${tests.join(' AND ')})`;
}

/** Distinct UTC days or ISO weeks (date_trunc('week') starts on Monday) among the window's events. */
function regularlySql(node: RegularlyCondition, parts: LifecycleSqlParts): string {
  const bounds = boundsAt(parsedWindow(node.window), parts.now.getTime());
  const unit = node.per === 'week' ? `'week'` : `'day'`;
  const tests = [...matching(parts, 'e', node.event, node.where), ...startTest(parts, 'e', bounds), endTest(parts, 'e', bounds)];
  return parts.memberOf(
    `SELECT e.profile_id FROM events e WHERE ${tests.join(' AND ')} GROUP BY e.profile_id ` +
      `HAVING count(DISTINCT date_trunc(${unit}, e.timestamp AT TIME ZONE 'UTC')) >= ${parts.bind(node.atLeast)}`,
  );
}
