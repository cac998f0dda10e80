import { CodedException, type ErrorDetail } from '@audiencekit/util';

/** Why a quiz request was refused. apps/api maps each code to an HTTP status. */
export type QuizzesExceptionCode =
  /** The definition or body fails its schema (details name the path). 400 */
  | 'invalid_quiz'
  /** A live quiz has this key. 409 */
  | 'quiz_key_taken'
  | 'quiz_not_found'
  /** A submission fails its schema, or an answer fails its question (details name `answers.<question id>`). 400 */
  | 'invalid_quiz_answers'
  /** A submission names a version that is no longer current, or never existed (details name `version`). 400 */
  | 'quiz_version_expired'
  /** Ingestion refused the identify for the write key's trust (a client key adding a second user id, …). 403 */
  | 'quiz_answers_refused_for_client_key';

export class QuizzesException extends CodedException<QuizzesExceptionCode> {
  constructor(code: QuizzesExceptionCode, message: string, details?: readonly ErrorDetail[]) {
    super(code, message, details);
  }
}
