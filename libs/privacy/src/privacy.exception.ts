import { CodedException, type ErrorDetail } from '@audiencekit/util';

/** Why a privacy request was refused. apps/api maps each code to an HTTP status. */
export type PrivacyExceptionCode =
  /** No deletion record with that id. */
  | 'deletion_not_found'
  /** No suppression with that identifier and channel (a removal). */
  | 'suppression_not_found'
  /** A suppression CSV that cannot be read at all (no header, broken quoting): nothing imported. */
  | 'invalid_csv'
  /** No consent category with that key. */
  | 'consent_category_not_found'
  /** A category that destinations still require cannot be deleted. */
  | 'consent_category_in_use'
  /** A consent key that is not a defined category, or a category key that is not allowed. */
  | 'invalid_consent_category'
  /** No live destination with that id. */
  | 'consent_destination_not_found'
  /** No live profile with that id (never existed or erased). */
  | 'consent_profile_not_found';

export class PrivacyException extends CodedException<PrivacyExceptionCode> {
  constructor(code: PrivacyExceptionCode, message: string, details?: readonly ErrorDetail[]) {
    super(code, message, details);
  }
}
