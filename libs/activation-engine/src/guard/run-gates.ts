import type { DataSource } from 'typeorm';
import type { SyncRunEntity } from '@audiencekit/persistence';
import { isUuid } from '@audiencekit/util';
import { ON_CHANGE_TRIGGER } from '../on-change/on-change.repository';
import type { SyncPlanner } from '../plan/sync-planner';
import type { SyncSetup } from '../sync-setup';
import { MassSendConfig, MassSendGuard } from './mass-send-guard';
import { heldMemberCount, onChangeRemovedThisHour, refreshQualityOf } from './safety-gate.repository';
import { combineGates, GateDecision, massRemovalDecision, MassRemovalConfig, RefreshQuality, refreshQualityReasons } from './safety-gates';

const AFTER_REFRESH_TRIGGER = 'after_refresh';

/**
 * Every gate a run nobody checked yet passes before anything reaches a vendor, decided once in the
 * runner (so scheduled, API, CLI and on-change runs alike): the mass-send guard (send mode), the
 * mass-removal gate (mirror removes, and what a full replace would drop), and the refresh-quality
 * gate (an `after_refresh` run following a refresh flagged empty, not substantial or unstable).
 * Counting reads the diff as a dry run does; nothing is sent.
 */
export class RunGates {
  private readonly massSend: MassSendGuard;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: MassSendConfig & MassRemovalConfig,
    private readonly planner: SyncPlanner,
  ) {
    this.massSend = new MassSendGuard(dataSource, config);
  }

  /** The quality of the refresh an `after_refresh` run follows (its trigger key is `refresh:<segment run id>`). */
  async qualityOf(run: SyncRunEntity): Promise<(RefreshQuality & { segmentRunId: string }) | null> {
    const segmentRunId = run.trigger === AFTER_REFRESH_TRIGGER ? run.triggerKey?.replace(/^refresh:/, '') : undefined;
    if (!segmentRunId || !isUuid(segmentRunId)) return null;
    const quality = await refreshQualityOf(this.dataSource.manager, segmentRunId);
    return quality ? { ...quality, segmentRunId } : null;
  }

  /** Whether any gate could speak for a run of this mode (so the runner loads and counts only then). */
  applies(mode: string | undefined, quality: RefreshQuality | null): boolean {
    return mode === 'send' || mode === 'mirror' || refreshQualityReasons(quality).length > 0;
  }

  /** The decision for one run; counts only the phases a gate needs. */
  async decide(run: SyncRunEntity, setup: SyncSetup, quality: (RefreshQuality & { segmentRunId: string }) | null): Promise<GateDecision> {
    const send = setup.addAction === 'send';
    const removing = setup.phases.includes('removes') || setup.fullResync;
    // A mirror's adds cost nothing to count only when a suspect refresh asks whether the run changes anything.
    const countAll = send || refreshQualityReasons(quality).length > 0;
    const phases = countAll ? setup.phases : setup.phases.filter((phase) => phase !== 'adds');
    const { plan } = await this.planner.dryRunPlan({ ...setup, phases }, 0);
    const onChange = run.trigger === ON_CHANGE_TRIGGER;
    const sendDecision = send
      ? onChange
        ? await this.massSend.decideOnChange(run.activationId, plan.adds)
        : await this.massSend.decide(run.activationId, plan.adds)
      : null;
    const removal = removing ? await this.removal(run, setup, plan) : null;
    return combineGates(sendDecision, removal, quality, plan.adds + (removal?.removes ?? plan.removes));
  }

  private async removal(run: SyncRunEntity, setup: SyncSetup, plan: { adds: number; removes: number }) {
    const held = await heldMemberCount(this.dataSource.manager, run.activationId);
    // A full replace drops what the destination holds and the replace does not send.
    if (setup.fullResync) return massRemovalDecision(Math.max(0, held - plan.adds), held, this.config);
    const earlier = run.trigger === ON_CHANGE_TRIGGER ? await onChangeRemovedThisHour(this.dataSource.manager, run.activationId) : 0;
    return massRemovalDecision(plan.removes + earlier, held + earlier, this.config);
  }

  audit(runId: string, decision: GateDecision, details: Record<string, unknown>): Promise<void> {
    // Send holds keep their established audit action; the other gates have their own.
    const action = decision.gates.includes('mass_send') ? 'mass_send_guard.held' : 'sync_gate.held';
    return this.massSend.audit(action, null, runId, { ...details, ...decision });
  }
}
