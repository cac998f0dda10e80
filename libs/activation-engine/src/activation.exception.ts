import { CodedException, ErrorDetail } from '@audiencekit/util';

/** Why the engine refused a request (its API statuses: apps/api/src/errors/status-by-code.ts). */
export type ActivationExceptionCode =
  /** No such activation, or it (or its destination) was deleted. */
  | 'activation_not_found'
  /** No such sync run (or not one of the activation named). */
  | 'sync_run_not_found'
  /** A run with this trigger key exists already, or a dry run could not be recorded. */
  | 'sync_already_requested'
  /** A send over the mass-send guard: recorded as a held run whose id is the confirmation token. */
  | 'confirmation_required'
  /** Confirming a run that is not held by the mass-send guard. */
  | 'not_awaiting_confirmation'
  /** Run control: a cancel of a finished run or a dry run; a retry of a run that did not fail. */
  | 'sync_run_not_cancellable'
  | 'sync_run_not_retryable';

/** A refused request to the sync engine (not a failed run: that is a SyncException recorded on the run). */
export class ActivationException extends CodedException<ActivationExceptionCode> {
  constructor(code: ActivationExceptionCode, message: string, details?: readonly ErrorDetail[], extra?: Readonly<Record<string, unknown>>) {
    super(code, message, details, extra);
  }
}
