import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { compileVocabularies, scoreSentiment, type TagMatcher } from '@audiencekit/text-signals';
import { TextSignalConfigCreateInput, TextSignalConfigUpdateInput } from './text-signal-input.schema';
import { TextSignalsException } from './text-signals.exception';
import {
  advanceWatermark,
  deleteTextSignalConfig,
  findTextSignalConfig,
  insertTextSignalConfig,
  listTextSignalConfigs,
  scoringHorizon,
  storeSignals,
  TextSignalConfigRow,
  tryScoringLock,
  unscoredEvents,
  updateTextSignalConfig,
} from './text-signals.repository';

export interface TextSignalConfigView {
  event: string;
  property: string;
  vocabularies: Record<string, string[]>;
  /** Events of this name received before this instant are scored; null: none yet. */
  scoredUntil: string | null;
  eventsScored: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * What scoring stores in `events.signals`. `sentiment.negative` is 1 for a negative label, else 0,
 * so "share of tickets negative" is the `avg` of that signal. An event whose configured property
 * holds no text gets `{}` (scored, nothing read), so no pass reads it again.
 */
export interface EventSignals {
  sentiment?: { compound: number; label: 'positive' | 'neutral' | 'negative'; negative: 0 | 1 };
  tags?: string[];
}

export interface ScoringPassResult {
  /** False when another worker held the scoring lock (nothing done). */
  ran: boolean;
  scored: number;
}

/** Events read per transaction: ~400 µs of scoring each, so a batch holds its transaction ~0.2 s. */
const BATCH_SIZE = 500;

/**
 * Text signals (issue #24): the configuration of which event property is scored, with the
 * operator's vocabularies, and the worker's scoring pass, which stores each event's sentiment and
 * tags with the event (`events.signals`). Scoring costs ~320–400 µs per event (bench sentiment), too
 * much for the request path, so ingestion is unchanged and the worker catches up within a pass.
 */
@Injectable()
export class TextSignalsService {
  private readonly logger = new Logger(TextSignalsService.name);
  /** Compiled vocabularies per configuration, rebuilt when the configuration changes (`updated_at`). */
  private readonly matchers = new Map<string, { updatedAt: number; matcher: TagMatcher }>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(): Promise<TextSignalConfigView[]> {
    return (await listTextSignalConfigs(this.dataSource.manager)).map(toView);
  }

  async get(event: string): Promise<TextSignalConfigView> {
    return toView(await this.found(this.dataSource.manager, event));
  }

  async create(input: TextSignalConfigCreateInput): Promise<TextSignalConfigView> {
    const row = await insertTextSignalConfig(this.dataSource.manager, input);
    if (!row)
      throw new TextSignalsException(
        'text_signal_config_exists',
        `event "${input.event}" is already scored: change its configuration instead`,
        [{ path: 'event', message: 'already configured' }],
      );
    return toView(row);
  }

  /**
   * Changes the property or the vocabularies. Events already scored keep their signals (they are
   * not re-scored); events scored from now on use the new configuration.
   */
  async update(event: string, input: TextSignalConfigUpdateInput): Promise<TextSignalConfigView> {
    const current = await this.found(this.dataSource.manager, event);
    const row = await updateTextSignalConfig(this.dataSource.manager, event, {
      property: input.property ?? current.property,
      vocabularies: input.vocabularies ?? current.vocabularies,
    });
    if (!row) throw notFound(event);
    return toView(row);
  }

  async remove(event: string): Promise<void> {
    if (!(await deleteTextSignalConfig(this.dataSource.manager, event))) throw notFound(event);
  }

  /**
   * One scoring pass (the worker calls it periodically): for each configuration, the events of its
   * name received since its watermark and below the horizon that have no signals yet are scored in
   * batches, each batch in its own transaction with the watermark moved in it (a crash loses at most
   * the batch in flight, and a repeated batch writes nothing twice: `signals IS NULL` guards the
   * update). One worker at a time (advisory try-lock per batch). `maxEvents` bounds a pass.
   */
  async scorePending(options: { maxEvents?: number } = {}): Promise<ScoringPassResult> {
    const budget = options.maxEvents ?? 20_000;
    let scored = 0;
    for (const config of await listTextSignalConfigs(this.dataSource.manager)) {
      for (;;) {
        const batch = await this.scoreBatch(config.id, Math.min(BATCH_SIZE, budget - scored));
        if (batch === undefined) return { ran: false, scored };
        scored += batch.scored;
        if (batch.done || scored >= budget) break;
      }
      if (scored >= budget) break;
    }
    return { ran: true, scored };
  }

  /** Scores one batch of one configuration; undefined when another worker holds the lock. */
  private async scoreBatch(configId: string, limit: number): Promise<{ scored: number; done: boolean } | undefined> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await tryScoringLock(manager))) return undefined;
      const config = (await listTextSignalConfigs(manager)).find((row) => row.id === configId);
      if (!config || limit <= 0) return { scored: 0, done: true };
      const until = await scoringHorizon(manager);
      const events = await unscoredEvents(manager, {
        event: config.event,
        property: config.property,
        from: config.scored_until,
        until,
        limit,
      });
      const matcher = this.matcherOf(config);
      const stored = await storeSignals(
        manager,
        events.map((event) => ({ id: event.id, signals: signalsOf(event.text, matcher) as Record<string, unknown> })),
      );
      const done = events.length < limit;
      // Every event before the last one read is scored (they are read in received_at, id order), so
      // the watermark may move to its received_at; once the range is exhausted, to the horizon.
      const watermark = done ? until : events[events.length - 1].received_at;
      await advanceWatermark(manager, config.id, watermark, stored);
      if (stored > 0) this.logger.log(`text signals: ${stored} "${config.event}" events scored`);
      return { scored: stored, done };
    });
  }

  private matcherOf(config: TextSignalConfigRow): TagMatcher {
    const updatedAt = new Date(config.updated_at).getTime();
    const cached = this.matchers.get(config.id);
    if (cached && cached.updatedAt === updatedAt) return cached.matcher;
    const matcher = compileVocabularies(config.vocabularies);
    this.matchers.set(config.id, { updatedAt, matcher });
    return matcher;
  }

  private async found(manager: EntityManager, event: string): Promise<TextSignalConfigRow> {
    const row = await findTextSignalConfig(manager, event);
    if (!row) throw notFound(event);
    return row;
  }
}

/** The signals of one text (`{}` for no text: blank or not a string); tags in alphabetical order. */
export function signalsOf(text: string | null, matcher: TagMatcher): EventSignals {
  if (text === null || text.trim() === '') return {};
  const { compound, label } = scoreSentiment(text);
  // Sorted: jsonb keeps the vocabularies' keys in its own order (shorter first), not the operator's.
  return { sentiment: { compound, label, negative: label === 'negative' ? 1 : 0 }, tags: matcher.match(text).sort() };
}

function notFound(event: string): TextSignalsException {
  return new TextSignalsException('text_signal_config_not_found', `no text-signal configuration for event "${event}"`);
}

function toView(row: TextSignalConfigRow): TextSignalConfigView {
  return {
    event: row.event,
    property: row.property,
    vocabularies: row.vocabularies,
    scoredUntil: row.scored_until === null ? null : new Date(row.scored_until).toISOString(),
    eventsScored: Number(row.events_scored),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
