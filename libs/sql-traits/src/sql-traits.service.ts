import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
// One namespace of trait keys with computed traits: saving a SQL trait and writing its values take
// the computed traits' own lock, so a SQL trait column and a computed trait cannot claim one key
// between their checks and their writes.
import { deleteSourceValues, keyOwners, lockKeyNamespace, replaceSourceValues } from '@audiencekit/segments-service';
import { APP_CONFIG, type AppConfig } from '@audiencekit/server-core';
import { cadenceProblem, latestDueFireTime } from '@audiencekit/util';
import { availability, executeReadOnly, ExecutionLimits, ResultColumn } from './sql-trait-executor.repository';
import { keyRows, ResultShape, shapeOf } from './sql-trait-result';
import type { SqlTraitCreateInput, SqlTraitPreviewInput, SqlTraitUpdateInput } from './sql-trait-input.schema';
import { SqlTraitsException } from './sql-traits.exception';
import {
  claimFireTime,
  findTrait,
  insertTrait,
  insertVersion,
  listTraits,
  recordRun,
  reservedKeys,
  resolveKeys,
  scheduledTraits,
  softDeleteTrait,
  SqlTraitKeyKind,
  SqlTraitRow,
  traitKeyById,
  updateTrait,
} from './sql-traits.repository';

/** Rows a preview shows. */
export const PREVIEW_ROWS = 20;
const UNKNOWN_EXAMPLES = 5;

export interface SqlTraitView {
  id: string;
  key: string;
  name: string;
  description: string;
  owner: string;
  cadence: string;
  version: number;
  sql: string;
  keyKind: SqlTraitKeyKind;
  valueColumns: string[];
  versionCreatedAt: string;
  versionCreatedBy: string | null;
  lastRunAt: string | null;
  lastRun: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export interface KeyReport {
  /** Rows whose key named a live profile. */
  resolved: number;
  /** Rows whose key named no live profile (or was null / malformed): counted, not fatal. */
  unknown: number;
  unknownExamples: unknown[];
}

export interface SqlTraitPreview {
  columns: ResultColumn[];
  keyKind: SqlTraitKeyKind;
  valueColumns: string[];
  rowCount: number;
  rows: Record<string, unknown>[];
  keys: KeyReport;
}

export interface SqlTraitRunOutcome {
  key: string;
  version: number;
  trigger: 'manual' | 'schedule';
  status: 'succeeded';
  rowCount: number;
  keys: KeyReport;
  values: { upserted: number; deleted: number };
  startedAt: string;
  finishedAt: string;
}

/**
 * SQL traits: an admin's SELECT whose value columns become trait keys in `computed_trait_values`
 * (source `sql`, the trait's id and version). Definitions are versioned (a changed SELECT or key
 * kind makes a new immutable version); a run executes the current version in the sandbox (the
 * executor), resolves keys to live profiles and replaces the trait's values set-wise.
 */
@Injectable()
export class SqlTraitsService {
  private readonly logger = new Logger(SqlTraitsService.name);
  private readonly limits: ExecutionLimits;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limits = { timeoutMs: config.AK_SQL_TRAITS_TIMEOUT_MS, rowCap: config.AK_SQL_TRAITS_ROW_CAP };
  }

  async list(): Promise<SqlTraitView[]> {
    return (await listTraits(this.dataSource.manager)).map(toView);
  }

  async get(key: string): Promise<SqlTraitView> {
    return toView(await this.require(this.dataSource.manager, key));
  }

  /** Runs the query (nothing written): the first rows, the row count, the column types, how keys resolve. */
  async preview(input: SqlTraitPreviewInput): Promise<SqlTraitPreview> {
    await this.ensureAvailable();
    const result = await executeReadOnly(this.dataSource, input.sql, this.limits);
    const shape = shapeOf(result.columns, input.keyKind);
    const { keys } = await this.resolve(shape, result.rows);
    return {
      columns: result.columns,
      keyKind: shape.keyKind,
      valueColumns: shape.valueColumns,
      rowCount: result.rows.length,
      rows: result.rows.slice(0, PREVIEW_ROWS),
      keys,
    };
  }

  /** Saves version 1 after checking the query (parsed and described, not run) and its keys. */
  async create(input: SqlTraitCreateInput, actor: string | null): Promise<SqlTraitView> {
    checkCadence(input.cadence);
    const shape = await this.describe(input.sql, input.keyKind);
    await this.dataSource.transaction(async (manager) => {
      await lockKeyNamespace(manager);
      if (await findTrait(manager, input.key))
        throw new SqlTraitsException('sql_trait_key_taken', `a SQL trait with key ${input.key} exists`, [
          { path: 'key', message: 'taken' },
        ]);
      await this.refuseCollisions(manager, shape.valueColumns, null);
      const id = await insertTrait(manager, {
        key: input.key,
        name: input.name ?? input.key,
        description: input.description,
        owner: input.owner,
        cadence: input.cadence,
      });
      await insertVersion(manager, id, 1, { sql: input.sql, keyKind: shape.keyKind, valueColumns: shape.valueColumns, createdBy: actor });
    });
    return this.get(input.key);
  }

  /** Changes the card; a changed SELECT or key kind makes a new version (old versions stay as they were). */
  async update(key: string, input: SqlTraitUpdateInput, actor: string | null): Promise<SqlTraitView> {
    const current = await this.require(this.dataSource.manager, key);
    const cadence = input.cadence ?? current.cadence;
    checkCadence(cadence);
    const sql = input.sql ?? current.sql;
    const newVersion = sql !== current.sql || (input.keyKind !== undefined && input.keyKind !== current.key_kind);
    const shape = newVersion
      ? await this.describe(sql, input.keyKind ?? (input.sql === undefined ? current.key_kind : undefined))
      : undefined;
    await this.dataSource.transaction(async (manager) => {
      await lockKeyNamespace(manager);
      const locked = await this.require(manager, key);
      const version = shape ? locked.current_version + 1 : locked.current_version;
      if (shape) {
        await this.refuseCollisions(manager, shape.valueColumns, locked.id);
        await insertVersion(manager, locked.id, version, {
          sql,
          keyKind: shape.keyKind,
          valueColumns: shape.valueColumns,
          createdBy: actor,
        });
      }
      await updateTrait(
        manager,
        locked.id,
        {
          name: input.name ?? locked.name,
          description: input.description ?? locked.description,
          owner: input.owner ?? locked.owner,
          cadence,
        },
        version,
      );
    });
    return this.get(key);
  }

  /** Deletes the trait and every value it wrote (rules reading its keys see no value from now on). */
  async remove(key: string): Promise<{ id: string; key: string; valuesDeleted: number }> {
    return this.dataSource.transaction(async (manager) => {
      await lockKeyNamespace(manager);
      const trait = await this.require(manager, key);
      await softDeleteTrait(manager, trait.id);
      const valuesDeleted = await deleteSourceValues(manager, 'sql', trait.id);
      return { id: trait.id, key, valuesDeleted };
    });
  }

  /**
   * Runs the current version: executes the SELECT in the sandbox, resolves keys, replaces the
   * trait's values set-wise (one transaction). Any refusal is recorded on the card as the last run
   * and thrown (the API answers 400 naming it; the worker logs it).
   */
  async run(key: string, trigger: 'manual' | 'schedule' = 'manual'): Promise<SqlTraitRunOutcome> {
    await this.ensureAvailable();
    const trait = await this.require(this.dataSource.manager, key);
    const startedAt = new Date();
    try {
      const result = await executeReadOnly(this.dataSource, trait.sql, this.limits);
      const shape = shapeOf(result.columns, trait.key_kind);
      const { keys, values } = await this.resolve(shape, result.rows);
      const written = await this.dataSource.transaction(async (manager) => {
        await lockKeyNamespace(manager);
        await this.refuseCollisions(manager, shape.valueColumns, trait.id);
        return replaceSourceValues(manager, { kind: 'sql', id: trait.id, version: trait.current_version }, values, startedAt);
      });
      const outcome: SqlTraitRunOutcome = {
        key,
        version: trait.current_version,
        trigger,
        status: 'succeeded',
        rowCount: result.rows.length,
        keys,
        values: written,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
      };
      await recordRun(this.dataSource.manager, trait.id, startedAt, { ...outcome });
      return outcome;
    } catch (error) {
      if (error instanceof SqlTraitsException)
        await recordRun(this.dataSource.manager, trait.id, startedAt, {
          key,
          version: trait.current_version,
          trigger,
          status: 'failed',
          code: error.code,
          message: error.message,
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
        });
      throw error;
    }
  }

  /**
   * Runs every SQL trait whose cadence has a fire time due since its last one. Each fire time is
   * claimed by one worker (a conditional UPDATE), so several workers run each due trait once. A
   * failed run is logged and recorded on the card; the others still run.
   */
  async runDue(now: Date = new Date()): Promise<{ key: string; status: 'succeeded' | 'failed'; message?: string }[]> {
    const done: { key: string; status: 'succeeded' | 'failed'; message?: string }[] = [];
    for (const candidate of await scheduledTraits(this.dataSource.manager)) {
      const due = latestDueFireTime(candidate.cadence, new Date(candidate.since), now);
      if (!due || !(await claimFireTime(this.dataSource.manager, candidate.id, due))) continue;
      try {
        await this.run(candidate.key, 'schedule');
        done.push({ key: candidate.key, status: 'succeeded' });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.logger.warn(`scheduled SQL trait ${candidate.key} failed: ${message}`);
        done.push({ key: candidate.key, status: 'failed', message });
      }
    }
    return done;
  }

  private async describe(sql: string, keyKind: SqlTraitKeyKind | undefined): Promise<ResultShape> {
    await this.ensureAvailable();
    const described = await executeReadOnly(this.dataSource, sql, this.limits, { describeOnly: true });
    return shapeOf(described.columns, keyKind);
  }

  private async ensureAvailable(): Promise<void> {
    const { problem } = await availability(this.dataSource);
    if (problem) throw new SqlTraitsException('sql_traits_unavailable', `SQL traits are unavailable: ${problem}`);
  }

  private async require(manager: EntityManager, key: string): Promise<SqlTraitRow> {
    const trait = await findTrait(manager, key);
    if (!trait) throw new SqlTraitsException('sql_trait_not_found', `no SQL trait with key ${key}`);
    return trait;
  }

  /** Resolves the rows' keys to live profiles; returns the report and the value rows to write. */
  private async resolve(
    shape: ResultShape,
    rows: readonly Record<string, unknown>[],
  ): Promise<{ keys: KeyReport; values: { profileId: string; key: string; value: unknown }[] }> {
    const keyed = keyRows(shape, rows);
    const resolved = await resolveKeys(this.dataSource.manager, shape.keyKind, [...keyed.byKey.keys()]);
    const keyOfProfile = new Map<string, string>();
    const values: { profileId: string; key: string; value: unknown }[] = [];
    for (const { key, profile_id: profileId } of resolved) {
      const other = keyOfProfile.get(profileId);
      if (other !== undefined)
        throw new SqlTraitsException(
          'sql_duplicate_keys',
          `duplicate keys: ${shape.keyColumn} ${JSON.stringify(other)} and ${JSON.stringify(key)} name the same profile (merged): keep one row per profile`,
          [{ path: `columns.${shape.keyColumn}`, message: `${other} and ${key} name one profile` }],
          { example: key },
        );
      keyOfProfile.set(profileId, key);
      const row = keyed.byKey.get(key) ?? {};
      for (const column of shape.valueColumns) values.push({ profileId, key: column, value: row[column] });
    }
    const resolvedKeys = new Set(resolved.map((row) => row.key));
    const unknownExamples = [...keyed.unusableExamples];
    for (const key of keyed.byKey.keys()) {
      if (unknownExamples.length >= UNKNOWN_EXAMPLES) break;
      if (!resolvedKeys.has(key)) unknownExamples.push(key);
    }
    return {
      keys: {
        resolved: resolved.length,
        unknown: rows.length - resolved.length,
        unknownExamples: unknownExamples.slice(0, UNKNOWN_EXAMPLES),
      },
      values,
    };
  }

  /** A value column that is someone else's key (a computed trait's, another SQL trait's, stored values of another source) is a 400 naming it. */
  private async refuseCollisions(manager: EntityManager, columns: readonly string[], traitId: string | null): Promise<void> {
    const reserved = await reservedKeys(manager, columns, traitId);
    const stored = await keyOwners(manager, columns, traitId);
    const taken: { key: string; owner: string }[] = [...reserved];
    for (const owner of stored) {
      const name =
        owner.sourceKind === 'sql'
          ? `SQL trait ${(await traitKeyById(manager, owner.sourceId)) ?? owner.sourceId}`
          : `computed trait ${owner.sourceId}`;
      taken.push({ key: owner.key, owner: name });
    }
    if (taken.length === 0) return;
    const first = taken[0];
    throw new SqlTraitsException(
      'sql_trait_key_collision',
      `column ${first.key}: the trait key ${first.key} belongs to ${first.owner}; rename the column (AS …)`,
      taken.map((entry) => ({ path: `columns.${entry.key}`, message: `belongs to ${entry.owner}` })),
    );
  }
}

function checkCadence(cadence: string): void {
  const problem = cadenceProblem(cadence);
  if (problem) throw new SqlTraitsException('invalid_sql_trait', `cadence ${problem}`, [{ path: 'cadence', message: problem }]);
}

function toView(row: SqlTraitRow): SqlTraitView {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    owner: row.owner,
    cadence: row.cadence,
    version: row.current_version,
    sql: row.sql,
    keyKind: row.key_kind,
    valueColumns: row.value_columns,
    versionCreatedAt: row.version_created_at.toISOString(),
    versionCreatedBy: row.version_created_by,
    lastRunAt: row.last_run_at?.toISOString() ?? null,
    lastRun: row.last_run,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
