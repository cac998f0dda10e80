import { CodedException } from '@audiencekit/util';

/** Codes of the engine's own run failures (not the plugin's: those are the SDK's closed set). */
export type SyncExceptionCode =
  | 'destination_deleted'
  | 'activation_deleted'
  | 'unknown_connector'
  | 'unsupported_mode'
  | 'bad_settings'
  | 'bad_secrets'
  | 'invalid_credentials'
  | 'circuit_open'
  | 'holdout_violation'
  | 'destination_busy'
  /** A marketer cancelled the run: it stops before its next batch (POST /sync-runs/:id/cancel). */
  | 'cancelled'
  /** A holdout hash version stored beside a salt that this engine does not implement. */
  | 'unknown_hash_version';

/**
 * Stops a sync run. `fatal` ones end the run as failed with `message` as the reason and are not
 * retried by the queue; `destination_busy` is thrown to the queue so it retries the job later.
 * Its codes are recorded on the run (`errors[].kind`), never answered by the API: they have no
 * row in apps/api's status table (one that escaped would be a 500, as any unexpected error).
 */
export class SyncException extends CodedException<SyncExceptionCode> {
  constructor(code: SyncExceptionCode, message: string) {
    super(code, message);
  }
}
