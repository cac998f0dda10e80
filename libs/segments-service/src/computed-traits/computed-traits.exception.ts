import { CodedException, type ErrorDetail } from '@audiencekit/util';

/** Why a computed-trait request was refused. apps/api maps each code to an HTTP status. */
export type ComputedTraitsExceptionCode =
  /** The definition, cadence or body fails its schema (details name the path). 400 */
  | 'invalid_computed_trait'
  /** The key is owned by a SQL trait or another source of stored values. 400 */
  | 'computed_trait_key_collision'
  /** A live computed trait has this key. 409 */
  | 'computed_trait_key_taken'
  /** Live segments read the trait (details name them). 409 */
  | 'computed_trait_in_use'
  | 'computed_trait_not_found'
  /** Another run of the trait is in progress. 409 */
  | 'computed_trait_run_in_progress';

export class ComputedTraitsException extends CodedException<ComputedTraitsExceptionCode> {
  constructor(code: ComputedTraitsExceptionCode, message: string, details?: readonly ErrorDetail[]) {
    super(code, message, details);
  }
}
