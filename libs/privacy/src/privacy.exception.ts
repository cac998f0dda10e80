import { CodedException, type ErrorDetail } from '@audiencekit/util';

/** Why a privacy request was refused. apps/api maps each code to an HTTP status. */
export type PrivacyExceptionCode =
  /** No deletion record with that id. */
  'deletion_not_found';

export class PrivacyException extends CodedException<PrivacyExceptionCode> {
  constructor(code: PrivacyExceptionCode, message: string, details?: readonly ErrorDetail[]) {
    super(code, message, details);
  }
}
