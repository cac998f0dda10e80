import { CodedException, ErrorDetail } from '@audiencekit/util';

/** Why the admin surface refused a request (its API statuses: apps/api/src/errors/status-by-code.ts). */
export type ActivationAdminExceptionCode =
  /** A body that does not validate (settings, secrets, modes, …), with a detail per field. */
  | 'invalid_request'
  | 'destination_not_found'
  /** A connector slug this server has no plugin for. */
  | 'connector_not_registered'
  /** holdoutShare may only grow once the activation has synced (exposures exist). */
  | 'holdout_share_decrease'
  /** Issue #23: no frequency cap with that id. */
  | 'frequency_cap_not_found'
  /** Issue #23: no priority list with that id or key; its key is taken; a live activation targets it. */
  | 'priority_list_not_found'
  | 'priority_list_key_taken'
  | 'priority_list_in_use'
  /** Issue #23: no journey with that id or key; its key is taken; publish / pause from a status that does not allow it. */
  | 'journey_not_found'
  | 'journey_key_taken'
  | 'journey_transition_not_allowed'
  /** AK_SECRETS_KEYS is not set: destination secrets can be neither sealed nor opened. */
  | 'secrets_key_missing'
  /** Lift report: the segment has no success KPI. */
  | 'kpi_not_configured'
  /** Lift report: the activation holds nobody back. */
  | 'no_control_group'
  /** Lift report refused by libs/experimentation: its code, passed on (`invalid_option` is the query's fault). */
  | 'invalid_share'
  | 'invalid_identifier'
  | 'invalid_number'
  | 'inconsistent_input'
  | 'window_mismatch'
  | 'invalid_option'
  | 'unknown_hash_version';

export class ActivationAdminException extends CodedException<ActivationAdminExceptionCode> {
  constructor(code: ActivationAdminExceptionCode, message: string, details?: readonly ErrorDetail[]) {
    super(code, message, details);
  }
}
