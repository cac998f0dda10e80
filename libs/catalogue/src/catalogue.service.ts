import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ApiKeyRole } from '@audiencekit/persistence';
import {
  advanceWatermark,
  EXAMPLE_SAMPLE_EVENTS,
  CatalogueKeyRow,
  foldEventNames,
  foldKeys,
  foldWindow,
  listEventNames,
  listKeys,
  readState,
  tryFoldLock,
} from './catalogue.repository';
import { CatalogueEvent, CatalogueFreshness, CatalogueKey, CataloguePage, keysForRole } from './catalogue-view';

export interface CatalogueQuery {
  /** Case-insensitive prefix ('' for all). */
  prefix: string;
  limit: number;
}

export interface FoldOutcome {
  /** false when another worker held the fold lock: nothing was done. */
  folded: boolean;
  /** Named events folded (identify calls count towards traits only). */
  events: number;
  /** The new watermark (Postgres text), null when nothing was done. */
  foldedUntil: string | null;
}

/**
 * The catalogue of events, properties and traits. The worker calls `fold` every few seconds; it
 * adds the events received since the watermark (one range scan through the BRIN index on
 * `received_at`) to small summary tables, so a read never touches `events` and costs the same at
 * 10M events as at 10. Ingestion is not involved: counting in its transactions would make every
 * batch with the same event name wait on one row.
 */
@Injectable()
export class CatalogueService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Folds the events received since the last fold, in one transaction; one worker at a time. */
  async fold(): Promise<FoldOutcome> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await tryFoldLock(manager))) return { folded: false, events: 0, foldedUntil: null };
      const window = await foldWindow(manager);
      if (!window.nonEmpty) return { folded: true, events: 0, foldedUntil: window.from };
      const events = await foldEventNames(manager, window);
      await foldKeys(manager, window, Math.max(1, Math.ceil(events.all / EXAMPLE_SAMPLE_EVENTS)));
      await advanceWatermark(manager, window.until, events.named);
      return { folded: true, events: events.named, foldedUntil: window.until };
    });
  }

  async events(query: CatalogueQuery): Promise<CataloguePage<CatalogueEvent>> {
    const manager = this.dataSource.manager;
    const rows = await listEventNames(manager, query.prefix, query.limit);
    const items = rows.map((row) => ({
      name: row.name,
      count: Number(row.event_count),
      firstSeenAt: row.first_seen_at.toISOString(),
      lastSeenAt: row.last_seen_at.toISOString(),
    }));
    return { items, freshness: await freshness(manager) };
  }

  /** Property keys of one event name (none for a name never seen). */
  async eventProperties(eventName: string, query: CatalogueQuery, role: ApiKeyRole | undefined): Promise<CataloguePage<CatalogueKey>> {
    const manager = this.dataSource.manager;
    const rows = await listKeys(manager, 'event', eventName, query.prefix, query.limit);
    return { items: keysForRole(rows.map(toKey), role), freshness: await freshness(manager) };
  }

  async traits(query: CatalogueQuery, role: ApiKeyRole | undefined): Promise<CataloguePage<CatalogueKey>> {
    const manager = this.dataSource.manager;
    const rows = await listKeys(manager, 'trait', '', query.prefix, query.limit);
    return { items: keysForRole(rows.map(toKey), role), freshness: await freshness(manager) };
  }
}

async function freshness(manager: EntityManager): Promise<CatalogueFreshness> {
  const state = await readState(manager);
  const folded = state.folded_at !== null;
  return {
    foldedUntil: folded ? state.folded_until.toISOString() : null,
    foldedAt: folded && state.folded_at ? state.folded_at.toISOString() : null,
    eventsFolded: Number(state.events_folded),
  };
}

function toKey(row: CatalogueKeyRow): CatalogueKey {
  return {
    key: row.key,
    types: row.types,
    count: Number(row.value_count),
    lastSeenAt: row.last_seen_at.toISOString(),
    examples: row.examples,
  };
}
