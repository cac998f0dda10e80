import { HttpException, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { auditGuard, lastRunSentCount, MassSendConfig, massSendDecision, MassSendDecision, SyncRunView, SyncService } from '@audiencekit/activation';
import { ApiException, APP_CONFIG, ErrorBody } from '@audiencekit/server-core';

export interface SyncRequest {
  dryRun?: boolean;
  /** The id of a run held by the mass-send guard (the token of a 409 `confirmation_required`). */
  confirm?: string;
  /** A full replace instead of a diff (list connectors that implement `replace`; refused by the engine otherwise). */
  fullResync?: boolean;
  requestedBy: string | null;
}

/** 409 `confirmation_required`: the held run's id is the confirmation token; the figures say why. */
export class ConfirmationRequiredException extends HttpException {
  constructor(run: SyncRunView, decision: MassSendDecision) {
    const body: ErrorBody & Record<string, unknown> = {
      statusCode: 409,
      code: 'confirmation_required',
      message: `${decision.reasons.join('; ')}: a marketer or admin must confirm (POST /sync-runs/${run.id}/confirm, or POST /activations/${run.activationId}/sync with { "confirm": "${run.id}" })`,
      details: [{ path: 'confirm', message: `send run ${run.id} of ${decision.count} messages awaits confirmation` }],
      confirmationToken: run.id,
      run,
      count: decision.count,
      threshold: decision.threshold,
      growthPct: decision.growthPct,
      lastRunSent: decision.lastRunSent,
    };
    super(body, 409);
  }
}

/**
 * Sync requests from the admin API with the mass-send guard in front: a send-mode sync is planned
 * first (the engine's dry run gives the count); over the guard it is recorded as a held run
 * (`awaiting_confirmation`, nothing queued) and answered 409 with the run id as the token.
 * Confirming releases that run. Both decisions are explicit audit rows with the figures.
 */
@Injectable()
export class SendConfirmationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sync: SyncService,
    @Inject(APP_CONFIG) private readonly config: MassSendConfig,
  ) {}

  async requestSync(activationId: string, request: SyncRequest): Promise<SyncRunView> {
    if (request.confirm) return this.confirm(request.confirm, request.requestedBy, activationId);
    const base = { requestedBy: request.requestedBy, trigger: 'api' };
    if (request.dryRun || !(await this.isSendMode(activationId))) return this.sync.requestSync(activationId, { ...base, dryRun: request.dryRun, fullResync: request.fullResync });
    const plan = await this.sync.dryRun(activationId, { sampleSize: 0, requestedBy: request.requestedBy });
    const decision = massSendDecision(Number(plan.plan?.['adds'] ?? 0), await lastRunSentCount(this.dataSource.manager, activationId), this.config);
    if (!decision.hold) return this.sync.requestSync(activationId, { ...base, guard: decision });
    const held = await this.sync.requestSync(activationId, { ...base, guard: decision, awaitConfirmation: true });
    await auditGuard(this.dataSource.manager, 'mass_send_guard.held', request.requestedBy, held.id, { activationId, planRunId: plan.id, trigger: 'api', ...decision });
    throw new ConfirmationRequiredException(held, decision);
  }

  /**
   * Releases a held run. @throws ApiException 404 for an unknown run (or one of another activation),
   * 409 `not_awaiting_confirmation` when it is not held.
   */
  async confirm(runId: string, confirmedBy: string | null, activationId?: string): Promise<SyncRunView> {
    const held = await this.sync.getRun(runId);
    if (activationId && held.activationId !== activationId) throw new ApiException(404, 'sync_run_not_found', `no sync run ${runId} for activation ${activationId}`, [{ path: 'confirm', message: 'is not a run of this activation' }]);
    const released = await this.sync.confirmRun(runId, confirmedBy);
    if (!released) throw new ApiException(409, 'not_awaiting_confirmation', `sync run ${runId} is ${held.status}, not awaiting confirmation`, [{ path: 'confirm', message: `run is ${held.status}` }]);
    const guard = (held.plan?.['guard'] ?? {}) as Partial<MassSendDecision>;
    await auditGuard(this.dataSource.manager, 'mass_send_guard.confirmed', confirmedBy, runId, {
      activationId: held.activationId, confirmedBy, count: guard.count, threshold: guard.threshold, growthPct: guard.growthPct, lastRunSent: guard.lastRunSent, reasons: guard.reasons,
    });
    return released;
  }

  private async isSendMode(activationId: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(activationId)) return false; // the engine answers the 404
    const rows: { mode: string }[] = await this.dataSource.query(`SELECT mode FROM activations WHERE id = $1`, [activationId]);
    return rows[0]?.mode === 'send';
  }
}
