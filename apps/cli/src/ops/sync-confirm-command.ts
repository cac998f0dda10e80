import { ActivationException } from '@audiencekit/activation-engine';
import { isUuid } from '@audiencekit/util';
import { CliUsageException } from '../database';
import { EXIT, Print } from './ops-commands';
import type { OpsServices } from './ops-context';

/**
 * Confirms a sync run held for confirmation (a send over the mass-send guard's threshold, an on-change
 * send over the hourly cap, a mirror removing too large a share, a sync after a suspect refresh): the engine's door releases it to the workers, with the audit row, as
 * `POST /sync-runs/:id/confirm` does. Exit 0 released, 1 not held (or unknown).
 */
export async function runsConfirm(ops: OpsServices, print: Print, runId: string): Promise<number> {
  if (!isUuid(runId)) throw new CliUsageException(`"${runId}" is not a sync run id (a UUID)`);
  try {
    const run = await ops.requests.confirm(runId, null);
    print(`sync run ${run.id} confirmed: ${run.status} for the workers`);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ActivationException)) throw error;
    print(error.message);
    return EXIT.failed;
  }
}
