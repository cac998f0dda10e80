import type { DataSource } from 'typeorm';
import type { Counts } from '../data/sync-run.repository';
import { CandidateRow, DiffPhase, readCandidates } from '../pipeline/candidates.repository';
import { Classified, classifyAdd, classifyRemove, Verdict } from '../pipeline/eligibility';
import { withComputedValues } from '../pipeline/computed-values.repository';
import { cappedSends } from '../frequency/frequency-cap.repository';
import type { SyncEngineOptions } from '../sync-engine.options';
import type { SyncSetup } from '../sync-setup';

/** The dry-run plan: what a run would do, itemised (stored in the run's `plan`). */
export interface DryRunPlan {
  counts: Counts;
  plan: { adds: number; refreshes: number; removes: number; samples: Record<string, { profileId: string; reason?: string }[]> };
}

const VERDICT_COUNT: Record<DiffPhase, Record<Verdict, string>> = {
  adds: {
    heldOutGlobal: 'heldOutGlobal',
    heldOutActivation: 'heldOutActivation',
    suppressed: 'suppressed',
    excluded: 'excluded',
    outranked: 'outranked',
    invalid: 'invalid',
    capped: 'capped',
    eligible: 'eligible',
  },
  removes: {
    heldOutGlobal: 'removeHeldOut',
    heldOutActivation: 'removeHeldOut',
    suppressed: 'removeSuppressed',
    excluded: 'removeExcluded',
    outranked: 'removeOutranked',
    invalid: 'removeInvalid',
    capped: 'removeCapped',
    eligible: 'removeEligible',
  },
  replace: {
    heldOutGlobal: 'heldOutGlobal',
    heldOutActivation: 'heldOutActivation',
    suppressed: 'suppressed',
    excluded: 'excluded',
    outranked: 'outranked',
    invalid: 'invalid',
    capped: 'capped',
    eligible: 'eligible',
  },
};

/**
 * Reads the diff as pages of classified candidates: for a dry run (the whole diff, tallied, with
 * samples) and for a delivery (pages cut after a whole number of batches of eligible members).
 */
export class SyncPlanner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: SyncEngineOptions,
  ) {}

  /** The itemised dry-run plan of the whole diff; reads only. */
  async dryRunPlan(setup: SyncSetup, sampleSize: number): Promise<DryRunPlan> {
    const counts: Counts = {};
    const samples: Record<string, { profileId: string; reason?: string }[]> = {};
    const keep = (category: string, item: Classified) => {
      const list = (samples[category] ??= []);
      if (list.length < sampleSize)
        list.push(
          item.reason && item.verdict !== 'eligible' ? { profileId: item.profileId, reason: item.reason } : { profileId: item.profileId },
        );
    };
    for (const phase of setup.phases) {
      let cursor: string | null = null;
      for (;;) {
        const rows = await readCandidates(this.dataSource.manager, phase, setup.scope, {
          after: cursor,
          upTo: null,
          limit: this.pageSize(setup),
        });
        if (rows.length === 0) break;
        cursor = rows[rows.length - 1].profileId;
        const redeliveries = new Set(rows.filter((row) => row.redeliver).map((row) => row.profileId));
        for (const item of await this.withCaps(setup, phase, this.classify(setup, phase, rows))) {
          const key = VERDICT_COUNT[phase][item.verdict];
          counts[key] = (counts[key] ?? 0) + 1;
          if (item.verdict === 'eligible' && redeliveries.has(item.profileId))
            counts['redeliverEligible'] = (counts['redeliverEligible'] ?? 0) + 1;
          keep(item.verdict === 'eligible' ? (phase === 'removes' ? 'removes' : 'adds') : key, item);
        }
        counts[phase === 'removes' ? 'removeConsidered' : 'considered'] =
          (counts[phase === 'removes' ? 'removeConsidered' : 'considered'] ?? 0) + rows.length;
      }
    }
    const plan = {
      adds: counts['eligible'] ?? 0,
      /** Of the adds: members the destination holds, re-sent before their membership lapses. */
      refreshes: counts['redeliverEligible'] ?? 0, // `refreshes` is the API's field name
      removes: counts['removeEligible'] ?? 0,
      samples,
    };
    return { counts, plan };
  }

  /**
   * The next page: candidates after `after`, classified, cut right after the `target`-th eligible
   * member. Pages therefore hold whole batches (target is a multiple of the batch size), and only
   * the last batch of a phase is partial: a diff of N members costs ceil(N / maxBatchSize) calls.
   */
  async readPage(setup: SyncSetup, phase: DiffPhase, after: string | null, target: number): Promise<Classified[]> {
    const page: Classified[] = [];
    let eligible = 0;
    let cursor = after;
    // Later chunks are sized from the share of candidates found eligible so far (a churn run
    // re-reads every held-out member, so most of its candidates are not eligible).
    let chunk = Math.max(target, 1_000);
    for (;;) {
      const rows = await readCandidates(this.dataSource.manager, phase, setup.scope, { after: cursor, upTo: null, limit: chunk });
      await this.withComputed(setup, phase, rows);
      for (const item of this.classify(setup, phase, rows)) {
        page.push(item);
        if (item.member && ++eligible >= target) return page;
      }
      if (rows.length < chunk) return page;
      cursor = rows[rows.length - 1].profileId;
      const eligibleShare = Math.max(eligible / page.length, 0.01);
      chunk = Math.min(100_000, Math.max(1_000, Math.ceil(((target - eligible) / eligibleShare) * 1.1)));
    }
  }

  /** What is left of a page already cut (a run resumed mid-page): bounds known, re-read and classified. */
  async rereadPage(setup: SyncSetup, phase: DiffPhase, page: { from: string | null; to: string }): Promise<Classified[]> {
    const rows = await readCandidates(this.dataSource.manager, phase, setup.scope, { after: page.from, upTo: page.to, limit: null });
    await this.withComputed(setup, phase, rows);
    return this.classify(setup, phase, rows);
  }

  /** Computed values for the adds of a page being delivered, one query per read (none when the activation uses none). */
  private async withComputed(setup: SyncSetup, phase: DiffPhase, rows: CandidateRow[]): Promise<void> {
    if (phase !== 'removes') await withComputedValues(this.dataSource.manager, rows, setup.computedKeys);
  }

  /**
   * A dry run's view of the frequency caps (issue #23): the eligible sends a cap would refuse now,
   * as `capped` with the cap's reason. A snapshot without the profiles' locks; a delivery reserves
   * its sends atomically right before each call instead (`BatchDelivery`).
   */
  private async withCaps(setup: SyncSetup, phase: DiffPhase, classified: Classified[]): Promise<Classified[]> {
    if (!setup.frequencyCapped || phase !== 'adds') return classified;
    const sends = classified.flatMap((item) => (item.member ? [{ profileId: item.profileId, deliveryKey: item.member.deliveryKey }] : []));
    const capped = new Map(
      (await cappedSends(this.dataSource.manager, setup.connector.channel, sends)).map((send) => [send.profileId, send.reason]),
    );
    if (capped.size === 0) return classified;
    return classified.map((item) => {
      const reason = capped.get(item.profileId);
      return item.member && reason !== undefined ? { profileId: item.profileId, verdict: 'capped', reason } : item;
    });
  }

  classify(setup: SyncSetup, phase: DiffPhase, rows: CandidateRow[]): Classified[] {
    return rows.map((row) => (phase === 'removes' ? classifyRemove(row, setup.rules) : classifyAdd(row, setup.rules)));
  }

  /** A page's stage counts (eligible members are counted when delivered). */
  tally(phase: DiffPhase, considered: number, classified: Classified[]): Counts {
    const counts: Counts = { [phase === 'removes' ? 'removeConsidered' : 'considered']: considered };
    for (const item of classified) {
      if (item.verdict === 'eligible') continue;
      const key = VERDICT_COUNT[phase][item.verdict];
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /**
   * About two seconds of calls per page (at least 10 batches), so page turns stay rare next to the
   * calls; the first pages of a phase are smaller (2, 4, 8, ... batches) so the first call goes out
   * without waiting for a large read.
   */
  pageSize(setup: SyncSetup, pageIndex = Number.POSITIVE_INFINITY): number {
    if (this.options.pageSize) return this.options.pageSize;
    const { maxBatchSize, maxRequestsPerSecond } = setup.limits;
    const full = Math.max(1, maxBatchSize) * Math.max(10, Math.ceil(2 * (maxRequestsPerSecond ?? 0)));
    return Math.min(full, Math.max(1, maxBatchSize) * 2 ** Math.min(30, pageIndex + 1));
  }
}
