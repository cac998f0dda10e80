import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '@audiencekit/server-core';
import { isUuid } from '@audiencekit/util';
import { ActivationException } from './activation.exception';
import { activationMode } from './data/sync-run.repository';
import { MassSendConfig, MassSendDecision, MassSendGuard } from './guard/mass-send-guard';
import type { GateDecision } from './guard/safety-gates';
import type { SyncRunView } from './sync-run.view';
import { SyncService } from './sync.service';

export interface SyncRequest {
  dryRun?: boolean;
  /** The id of a run held by the mass-send guard (the token of a 409 `confirmation_required`). */
  confirm?: string;
  /** A full replace instead of a diff (list connectors that implement `replace`; refused by the engine otherwise). */
  fullResync?: boolean;
  requestedBy: string | null;
  /** `api` unless said (`retry` for the retry of a failed run). */
  trigger?: string;
}

/**
 * The API's one door into the engine: requesting a sync, a dry run, and confirming a held run (held
 * by the mass-send guard here, or by any gate in the runner: guard/run-gates.ts).
 * The mass-send guard is decided here (MassSendGuard, the same decision the runner takes for
 * scheduled runs): a send-mode sync is counted first (the engine's dry run gives the count); over
 * the guard it is recorded as a held run (`awaiting_confirmation`, nothing queued) and refused with
 * `confirmation_required`, the run id as the token. Confirming releases that run. Both decisions
 * are explicit audit rows with the figures.
 */
@Injectable()
export class SyncRequestsService {
  private readonly guard: MassSendGuard;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sync: SyncService,
    @Inject(APP_CONFIG) config: MassSendConfig,
  ) {
    this.guard = new MassSendGuard(dataSource, config);
  }

  /** @throws ActivationException `confirmation_required` (a held send), `activation_not_found`, or those of `confirm`. */
  async requestSync(activationId: string, request: SyncRequest): Promise<SyncRunView> {
    if (request.confirm) return this.confirm(request.confirm, request.requestedBy, activationId);
    const base = { requestedBy: request.requestedBy, trigger: request.trigger ?? 'api' };
    if (request.dryRun || !(await this.isSendMode(activationId)))
      return this.sync.requestSync(activationId, { ...base, dryRun: request.dryRun, fullResync: request.fullResync });
    const plan = await this.sync.dryRun(activationId, { sampleSize: 0, requestedBy: request.requestedBy });
    const decision = await this.guard.decide(activationId, Number(plan.plan?.['adds'] ?? 0));
    if (!decision.hold) return this.sync.requestSync(activationId, { ...base, guard: decision });
    const held = await this.sync.requestSync(activationId, { ...base, guard: decision, awaitConfirmation: true });
    await this.guard.audit('mass_send_guard.held', request.requestedBy, held.id, {
      activationId,
      planRunId: plan.id,
      trigger: 'api',
      ...decision,
    });
    throw confirmationRequired(held, decision);
  }

  /** The itemised plan now (sends nothing), stored as a dry run. */
  dryRun(activationId: string, options: { sampleSize?: number; requestedBy?: string | null }): Promise<SyncRunView> {
    return this.sync.dryRun(activationId, options);
  }

  /**
   * Releases a held run. @throws ActivationException `sync_run_not_found` for an unknown run (or one
   * of another activation), `not_awaiting_confirmation` when it is not held.
   */
  async confirm(runId: string, confirmedBy: string | null, activationId?: string): Promise<SyncRunView> {
    const held = await this.sync.getRun(runId);
    if (activationId && held.activationId !== activationId) {
      throw new ActivationException('sync_run_not_found', `no sync run ${runId} for activation ${activationId}`, [
        { path: 'confirm', message: 'is not a run of this activation' },
      ]);
    }
    const released = await this.sync.confirmRun(runId, confirmedBy);
    if (!released)
      throw new ActivationException('not_awaiting_confirmation', `sync run ${runId} is ${held.status}, not awaiting confirmation`, [
        { path: 'confirm', message: `run is ${held.status}` },
      ]);
    const guard = (held.plan?.['guard'] ?? {}) as Partial<GateDecision>;
    // A send keeps the mass-send guard's action; a run held only by the removal or quality gate has its own.
    const action = guard.gates && !guard.gates.includes('mass_send') ? 'sync_gate.confirmed' : 'mass_send_guard.confirmed';
    await this.guard.audit(action, confirmedBy, runId, {
      activationId: held.activationId,
      confirmedBy,
      gates: guard.gates,
      count: guard.count,
      threshold: guard.threshold,
      growthPct: guard.growthPct,
      lastRunSent: guard.lastRunSent,
      reasons: guard.reasons,
    });
    return released;
  }

  private async isSendMode(activationId: string): Promise<boolean> {
    if (!isUuid(activationId)) return false; // the engine answers the 404
    return (await activationMode(this.dataSource.manager, activationId)) === 'send';
  }
}

/** `confirmation_required` (409 on the API): the held run's id is the confirmation token; the figures say why. */
function confirmationRequired(run: SyncRunView, decision: MassSendDecision): ActivationException {
  return new ActivationException(
    'confirmation_required',
    `${decision.reasons.join('; ')}: a marketer or admin must confirm (POST /sync-runs/${run.id}/confirm, or POST /activations/${run.activationId}/sync with { "confirm": "${run.id}" })`,
    [{ path: 'confirm', message: `send run ${run.id} of ${decision.count} messages awaits confirmation` }],
    {
      confirmationToken: run.id,
      run,
      count: decision.count,
      threshold: decision.threshold,
      growthPct: decision.growthPct,
      lastRunSent: decision.lastRunSent,
    },
  );
}
