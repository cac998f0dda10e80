import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  compileComputedTraitHistogram,
  compileComputedTraitPreview,
  compileComputedTraitRefresh,
  ComputedTraitDefinition,
  ComputedTraitDefinitionException,
  computedTraitRealtimeProblems,
  computeTraitValue,
  nextTraitChange,
  parseComputedTraitDefinition,
  parseWindow,
  TraitEvent,
} from '@audiencekit/segments-domain';
import { cadenceProblem, latestDueFireTime, REALTIME_CADENCE } from '@audiencekit/util';
import { REALTIME_OPTIONS, RealtimeOptions } from '../realtime/realtime-options';
import type { ComputedTraitCreateInput, ComputedTraitUpdateInput } from './computed-trait-input.schema';
import { sameDefinition } from '../same-definition';
import { ComputedTraitsException } from './computed-traits.exception';
import {
  ComputedTraitRow,
  deleteTraitDueTimes,
  findTrait,
  handOverDueTraits,
  insertTrait,
  liveProfiles,
  listTraits,
  lockKeyNamespace,
  realtimeTraits,
  recordRun,
  replaceTraitDueTimes,
  scheduledTraits,
  segmentsReferencing,
  softDeleteTrait,
  sqlTraitKeys,
  touchProfilesWithEvent,
  traitEvents,
  tryLockTraitRun,
  updateTrait,
  valuesFor,
} from './computed-traits.repository';
import { deleteSourceValues, keyOwners, runRefreshStatement, valuesOfKey, writeProfileValues } from './trait-values.repository';

export interface ComputedTraitView {
  id: string;
  key: string;
  description: string;
  owner: string;
  cadence: string;
  version: number;
  definition: Record<string, unknown>;
  versionCreatedAt: string;
  versionCreatedBy: string | null;
  lastRunAt: string | null;
  lastRun: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface ComputedTraitPreview {
  /** Live profiles. */
  profiles: number;
  withValue: number;
  /** Live profiles the trait gives no value. */
  withoutValue: number;
  /** Over the numeric values, when there are any. */
  numeric: { count: number; min: number; max: number; mean: number } | null;
  /** 10 equal buckets over [min, max] of the numeric values (null when fewer than two distinct numbers). */
  histogram: { from: number; to: number; count: number }[] | null;
  /** The 10 most frequent values (strings, numbers, anything), with their counts. */
  topValues: { value: unknown; count: number }[];
}

export interface ComputedTraitRunOutcome {
  key: string;
  version: number;
  trigger: 'manual' | 'schedule' | 'save';
  withValue: number;
  upserted: number;
  deleted: number;
  startedAt: string;
  finishedAt: string;
}

const HISTOGRAM_BUCKETS = 10;
/** Due real-time traits handed to the evaluator per pass. */
const DUE_HAND_OVER_LIMIT = 1_000;

/**
 * Computed traits (issue #20): named, owned, versioned per-profile values derived from events,
 * stored in `computed_trait_values` (source 'computed'). Maintained set-wise on a cadence (one
 * SQL statement for all profiles: libs/segments-domain `compileComputedTraitRefresh`) or in real
 * time (`maintainRealtime`, called by the real-time evaluator for the profiles it processes, before
 * their segments, with due times for windows that slide by themselves; a daily run reconciles).
 */
@Injectable()
export class ComputedTraitsService {
  private readonly logger = new Logger(ComputedTraitsService.name);
  private readonly parsed = new Map<string, ComputedTraitDefinition>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @Inject(REALTIME_OPTIONS) private readonly realtime: RealtimeOptions = {},
  ) {}

  async list(): Promise<ComputedTraitView[]> {
    return (await listTraits(this.dataSource.manager)).map(toView);
  }

  async get(key: string): Promise<ComputedTraitView> {
    return toView(await this.require(this.dataSource.manager, key));
  }

  async create(input: ComputedTraitCreateInput, actorId: string | null, now: Date = new Date()): Promise<ComputedTraitView> {
    const definition = this.parseDefinition(input.definition);
    this.checkCadence(input.cadence, definition, now);
    const view = await this.dataSource.transaction(async (manager) => {
      await lockKeyNamespace(manager);
      if (await findTrait(manager, input.key))
        throw new ComputedTraitsException('computed_trait_key_taken', `a computed trait with key ${input.key} exists`, [
          { path: 'key', message: `${input.key} is taken` },
        ]);
      await this.assertKeyFree(manager, input.key, null);
      await insertTrait(manager, input, definition, actorId);
      return toView(await this.require(manager, input.key));
    });
    if (view.cadence === REALTIME_CADENCE) await this.startRealtime(view.key, definition);
    return view;
  }

  async update(key: string, input: ComputedTraitUpdateInput, actorId: string | null, now: Date = new Date()): Promise<ComputedTraitView> {
    const newDefinition = input.definition === undefined ? undefined : this.parseDefinition(input.definition);
    const view = await this.dataSource.transaction(async (manager) => {
      await lockKeyNamespace(manager);
      const current = await this.require(manager, key);
      const cadence = input.cadence ?? current.cadence;
      const definition = newDefinition ?? this.definitionOf(current);
      this.checkCadence(cadence, definition, now);
      if (current.cadence === REALTIME_CADENCE && cadence !== REALTIME_CADENCE) {
        const readers = (await segmentsReferencing(manager, key)).filter((segment) => segment.cadence === REALTIME_CADENCE);
        if (readers.length)
          throw new ComputedTraitsException(
            'computed_trait_in_use',
            `real-time segments read ${key}: ${readers.map((segment) => segment.key).join(', ')}; it must stay real time while they do`,
            [{ path: 'cadence', message: `real-time segments read it: ${readers.map((segment) => segment.key).join(', ')}` }],
          );
      }
      const changed = newDefinition !== undefined && !sameDefinition(newDefinition, current.definition);
      await updateTrait(
        manager,
        current.id,
        { description: input.description ?? current.description, owner: input.owner ?? current.owner, cadence },
        changed ? newDefinition : undefined,
        actorId,
      );
      return toView(await this.require(manager, key));
    });
    if (view.cadence === REALTIME_CADENCE) await this.startRealtime(view.key, this.definitionOfView(view));
    return view;
  }

  /** Deletes the trait and its values; refused (409) while live segments read it. */
  async remove(key: string): Promise<{ id: string; key: string; valuesDeleted: number }> {
    return this.dataSource.transaction(async (manager) => {
      await lockKeyNamespace(manager);
      const trait = await this.require(manager, key);
      const readers = await segmentsReferencing(manager, key);
      if (readers.length)
        throw new ComputedTraitsException(
          'computed_trait_in_use',
          `live segments read ${key}: ${readers.map((segment) => segment.key).join(', ')}; change or delete them first`,
          readers.map((segment) => ({ path: 'segments', message: `segment ${segment.key} reads ${key}` })),
        );
      await softDeleteTrait(manager, trait.id);
      await deleteTraitDueTimes(manager, trait.id);
      const valuesDeleted = await deleteSourceValues(manager, 'computed', trait.id);
      return { id: trait.id, key, valuesDeleted };
    });
  }

  /** The distribution a definition would give, before saving; nothing is written. */
  async preview(rawDefinition: unknown, now: Date = new Date()): Promise<ComputedTraitPreview> {
    const definition = this.parseDefinition(rawDefinition);
    const manager = this.dataSource.manager;
    const stats = compileComputedTraitPreview(definition, { now });
    const [row] = await manager.query(stats.text, stats.values);
    const numeric = row.numeric > 0 ? { count: row.numeric, min: Number(row.min), max: Number(row.max), mean: Number(row.mean) } : null;
    let histogram: ComputedTraitPreview['histogram'] = null;
    if (numeric && row.min !== row.max && Number(row.min) !== Number(row.max)) {
      const query = compileComputedTraitHistogram(definition, { min: row.min, max: row.max, buckets: HISTOGRAM_BUCKETS }, { now });
      const counts = new Map<number, number>(
        ((await manager.query(query.text, query.values)) as { bucket: number; count: number }[]).map((bucket) => [
          bucket.bucket,
          bucket.count,
        ]),
      );
      const width = (numeric.max - numeric.min) / HISTOGRAM_BUCKETS;
      histogram = Array.from({ length: HISTOGRAM_BUCKETS }, (_, index) => ({
        from: numeric.min + index * width,
        to: index === HISTOGRAM_BUCKETS - 1 ? numeric.max : numeric.min + (index + 1) * width,
        count: counts.get(index + 1) ?? 0,
      }));
    }
    return {
      profiles: row.profiles,
      withValue: row.with_value,
      withoutValue: row.profiles - row.with_value,
      numeric,
      histogram,
      topValues: (row.top as { value: unknown; count: number }[]).map((entry) => ({ value: entry.value, count: Number(entry.count) })),
    };
  }

  /** Computes the trait for every profile now (one set-wise statement) and stores what changed. */
  async run(key: string, trigger: ComputedTraitRunOutcome['trigger'] = 'manual', now: Date = new Date()): Promise<ComputedTraitRunOutcome> {
    const startedAt = new Date();
    const outcome = await this.dataSource.transaction(async (manager) => {
      const trait = await this.require(manager, key);
      if (!(await tryLockTraitRun(manager, trait.id)))
        throw new ComputedTraitsException(
          'computed_trait_run_in_progress',
          `${key} is being computed by another run; try again when it ends`,
        );
      const statement = compileComputedTraitRefresh(
        this.definitionOf(trait),
        { traitId: trait.id, version: trait.current_version, key: trait.key, computedAt: now },
        { now },
      );
      const written = await runRefreshStatement(manager, statement);
      const finishedAt = new Date();
      const result: ComputedTraitRunOutcome = {
        key,
        version: trait.current_version,
        trigger,
        ...written,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
      };
      await recordRun(manager, trait.id, finishedAt, { ...result });
      return result;
    });
    this.logger.log({ ...outcome }, 'computed trait run');
    return outcome;
  }

  /** Runs every trait whose cadence has a fire time due (a real-time trait's: the daily reconcile); one run per fire time across workers. */
  async runDue(now: Date = new Date()): Promise<{ key: string; status: 'succeeded' | 'failed' | 'skipped'; message?: string }[]> {
    const done: { key: string; status: 'succeeded' | 'failed' | 'skipped'; message?: string }[] = [];
    for (const candidate of await scheduledTraits(this.dataSource.manager)) {
      const due = latestDueFireTime(candidate.cadence, new Date(candidate.since), now);
      if (!due) continue;
      try {
        await this.run(candidate.key, 'schedule', now);
        done.push({ key: candidate.key, status: 'succeeded' });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // Another worker holds this fire time's run: it records last_run_at, so it is not due again.
        if (error instanceof ComputedTraitsException && error.code === 'computed_trait_run_in_progress') {
          done.push({ key: candidate.key, status: 'skipped', message });
          continue;
        }
        this.logger.warn(`scheduled computed trait ${candidate.key} failed: ${message}`);
        done.push({ key: candidate.key, status: 'failed', message });
      }
    }
    return done;
  }

  /** The stored values of a trait (or any derived key), most recently computed first. */
  async values(
    key: string,
    limit: number,
  ): Promise<{ key: string; values: { profileId: string; value: unknown; version: number; computedAt: string }[] }> {
    await this.require(this.dataSource.manager, key);
    const rows = await valuesOfKey(this.dataSource.manager, key, limit);
    return {
      key,
      values: rows.map((row) => ({
        profileId: row.profileId,
        value: row.value,
        version: row.sourceVersion,
        computedAt: new Date(row.computedAt).toISOString(),
      })),
    };
  }

  /**
   * Real-time maintenance of the profiles a real-time batch holds (called by the evaluator in its
   * transaction, BEFORE it evaluates their segments): every real-time trait recomputed from the
   * profile's own events, changes written, and each (trait, profile)'s next change instant stored
   * (a window sliding past an event) so `handOverDue` brings the profile back then.
   */
  async maintainRealtime(manager: EntityManager, profileIds: readonly string[], now: Date): Promise<void> {
    if (profileIds.length === 0) return;
    const traits = (await realtimeTraits(manager)).map((trait) => ({
      ...trait,
      parsed: this.parsedOf(trait.id, trait.version, trait.definition),
    }));
    if (traits.length === 0) return;
    const live = await liveProfiles(manager, profileIds);
    const names = [...new Set(traits.map((trait) => trait.parsed.event))];
    const rows = await traitEvents(
      manager,
      [...live],
      names,
      earliestStart(
        traits.map((trait) => trait.parsed),
        now,
      ),
    );
    const eventsOf = new Map<string, TraitEvent[]>();
    for (const row of rows) {
      const list = eventsOf.get(row.profile_id) ?? [];
      list.push({ id: row.id, name: row.name, timestamp: row.ts, properties: row.properties });
      eventsOf.set(row.profile_id, list);
    }
    const due: { traitId: string; profileId: string; dueAt: number }[] = [];
    for (const profileId of profileIds) {
      const events = eventsOf.get(profileId) ?? [];
      const isLive = live.has(profileId);
      const entries = traits.map((trait) => ({
        key: trait.key,
        source: { kind: 'computed' as const, id: trait.id, version: trait.version },
        value: isLive ? computeTraitValue(trait.parsed, events, now) : undefined,
      }));
      await writeProfileValues(manager, profileId, entries, now);
      if (!isLive) continue;
      for (const trait of traits) {
        const next = nextTraitChange(trait.parsed, events, now);
        if (next !== null) due.push({ traitId: trait.id, profileId, dueAt: next });
      }
    }
    await replaceTraitDueTimes(manager, profileIds, due);
  }

  /** Hands the profiles whose real-time traits are due to the real-time evaluator; how many. */
  async handOverDue(now: Date): Promise<number> {
    return handOverDueTraits(this.dataSource.manager, now, DUE_HAND_OVER_LIMIT);
  }

  /** The stored values of `keys` for these profiles, per profile (for `computed_trait` conditions). */
  async valuesOf(
    manager: EntityManager,
    profileIds: readonly string[],
    keys: readonly string[],
  ): Promise<Map<string, Record<string, unknown>>> {
    const byProfile = new Map<string, Record<string, unknown>>();
    for (const row of await valuesFor(manager, profileIds, keys)) {
      const values = byProfile.get(row.profile_id) ?? {};
      values[row.key] = row.value;
      byProfile.set(row.profile_id, values);
    }
    return byProfile;
  }

  /** A real-time trait's (new) version: values for everyone now (set-wise), then every profile with such events handed over for its due times. */
  private async startRealtime(key: string, definition: ComputedTraitDefinition): Promise<void> {
    await this.run(key, 'save');
    await touchProfilesWithEvent(this.dataSource.manager, definition.event);
  }

  private parseDefinition(raw: unknown): ComputedTraitDefinition {
    try {
      return parseComputedTraitDefinition(raw);
    } catch (error) {
      if (error instanceof ComputedTraitDefinitionException) {
        const details = error.issues.map((issue) => ({
          path: issue.path ? `definition.${issue.path}` : 'definition',
          message: issue.message,
        }));
        throw new ComputedTraitsException(
          'invalid_computed_trait',
          `invalid computed trait definition: ${details.map((detail) => `${detail.path} ${detail.message}`).join('; ')}`,
          details,
        );
      }
      throw error;
    }
  }

  private checkCadence(cadence: string, definition: ComputedTraitDefinition, now: Date): void {
    const problem = cadenceProblem(cadence, { allowRealtime: true });
    if (problem) throw new ComputedTraitsException('invalid_computed_trait', `cadence ${problem}`, [{ path: 'cadence', message: problem }]);
    if (cadence !== REALTIME_CADENCE) return;
    const problems = computedTraitRealtimeProblems(definition, { historyDays: this.realtime.historyDays, now });
    if (problems.length)
      throw new ComputedTraitsException(
        'invalid_computed_trait',
        `cannot be real time: ${problems.map((entry) => `${entry.path} ${entry.message}`).join('; ')}`,
        problems,
      );
  }

  /** A key owned by a SQL trait, or holding values another source wrote, is refused (400 naming it). */
  private async assertKeyFree(manager: EntityManager, key: string, traitId: string | null): Promise<void> {
    const [sqlOwner] = await sqlTraitKeys(manager, [key]);
    const [valueOwner] = await keyOwners(manager, [key], traitId);
    const owner =
      sqlOwner?.owner ?? (valueOwner ? `stored values of a ${valueOwner.sourceKind} source (${valueOwner.sourceId})` : undefined);
    if (owner)
      throw new ComputedTraitsException('computed_trait_key_collision', `key ${key} is owned by ${owner}`, [
        { path: 'key', message: `${key} is owned by ${owner}` },
      ]);
  }

  private async require(manager: EntityManager, key: string): Promise<ComputedTraitRow> {
    const trait = await findTrait(manager, key);
    if (!trait) throw new ComputedTraitsException('computed_trait_not_found', `no computed trait with key ${key}`);
    return trait;
  }

  private definitionOf(trait: ComputedTraitRow): ComputedTraitDefinition {
    return this.parsedOf(trait.id, trait.current_version, trait.definition);
  }

  private definitionOfView(view: ComputedTraitView): ComputedTraitDefinition {
    return this.parsedOf(view.id, view.version, view.definition);
  }

  /** Parsed definitions, cached per (trait, version): versions are immutable. */
  private parsedOf(id: string, version: number, raw: unknown): ComputedTraitDefinition {
    const cacheKey = `${id}:${version}`;
    let parsed = this.parsed.get(cacheKey);
    if (!parsed) {
      parsed = parseComputedTraitDefinition(raw);
      this.parsed.set(cacheKey, parsed);
    }
    return parsed;
  }
}

/** The earliest event time any of the definitions reads at `now` (null: all history). Future-dated events are always loaded. */
function earliestStart(definitions: readonly ComputedTraitDefinition[], now: Date): Date | null {
  let earliest = now.getTime();
  for (const definition of definitions) {
    const { window } = parseWindow(definition.window);
    if (!window || window.kind === 'ever') return null;
    const start = window.kind === 'last' ? now.getTime() - window.milliseconds : window.from;
    earliest = Math.min(earliest, start - 1);
  }
  return new Date(earliest);
}

function toView(row: ComputedTraitRow): ComputedTraitView {
  const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
  return {
    id: row.id,
    key: row.key,
    description: row.description,
    owner: row.owner,
    cadence: row.cadence,
    version: row.current_version,
    definition: row.definition,
    versionCreatedAt: iso(row.version_created_at) as string,
    versionCreatedBy: row.version_created_by,
    lastRunAt: iso(row.last_run_at),
    lastRun: row.last_run,
    createdAt: iso(row.created_at) as string,
    updatedAt: iso(row.updated_at) as string,
  };
}
