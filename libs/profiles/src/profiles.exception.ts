import { CodedException, type ErrorDetail } from '@audiencekit/util';

/** Why a profile request was refused. apps/api maps each code to an HTTP status. */
export type ProfilesExceptionCode =
  /** No live profile for that identifier or id (never seen, or erased on request). */
  | 'unknown_profile'
  /** The identifier given to a lookup does not normalise (an email without @, a phone without +country). */
  | 'invalid_lookup'
  /** No live segment with that id or key to explain. */
  | 'unknown_explain_segment'
  /** The model segment's version has no stored model to score with (it was never fitted). */
  | 'explain_model_missing';

export class ProfilesException extends CodedException<ProfilesExceptionCode> {
  constructor(code: ProfilesExceptionCode, message: string, details?: readonly ErrorDetail[]) {
    super(code, message, details);
  }
}
