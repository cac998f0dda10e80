import { errorMessage } from '@audiencekit/util';
import { connectorContext } from './connector-runtime';
import * as runs from './data/sync-run.repository';
import { callWithPolicy } from './delivery/call-policy';
import type { SyncEngineOptions } from './sync-engine.options';
import type { Execution } from './sync-execution';
import type { DataSource } from 'typeorm';

/**
 * Where the connector reads the vendor-side list's own membership lifespan
 * (`connector.membershipRefreshDays`, e.g. a Google user list's `membershipDuration`), the run re-sends
 * members older than what it says instead of the static `limits.refreshMembershipAfterDays`. Only for
 * runs that re-send at all (adds to a list, not a full replace). A failure keeps the static value and
 * is a warning on the run: it never fails the run.
 */
export async function applyMembershipRefresh(dataSource: DataSource, options: SyncEngineOptions, execution: Execution): Promise<void> {
  const { setup } = execution;
  const read = setup.connector.membershipRefreshDays?.bind(setup.connector);
  if (!read || setup.scope.redeliverAfterDays === null) return;
  let reason: string;
  try {
    const result = await callWithPolicy(execution.gate, { ...options, maxAttempts: 1 }, (signal) =>
      read(
        connectorContext(setup.runtime, {
          settings: setup.settings,
          secrets: setup.secrets,
          audienceId: setup.activation.externalAudienceId,
          idempotencyKey: `${setup.run.id}:membership-refresh`,
          signal,
        }),
      ),
    );
    if (result.kind === 'answered') {
      const days = result.value;
      if (typeof days === 'number' && Number.isInteger(days) && days >= 1) setup.scope.redeliverAfterDays = days;
      return;
    }
    reason = result.reason;
  } catch (error) {
    reason = errorMessage(error);
  }
  await runs.appendErrors(dataSource.manager, setup.run.id, [
    {
      kind: 'warning',
      code: 'membership_lifespan_unavailable',
      message: setup.runtime.redact(`membership lifespan unavailable, re-sending after ${setup.scope.redeliverAfterDays} days: ${reason}`),
      at: new Date().toISOString(),
    },
  ]);
}
