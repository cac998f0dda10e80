/** Why a lifetime-value model was refused. Nothing is published when one of these is thrown. */
export type ClvExceptionCode =
  /** An order or customer summary that the models cannot use (e.g. a non-positive amount); the field names the customer. */
  | 'invalid_input'
  | 'invalid_option'
  /** Not enough customers (or, for Gamma-Gamma, not enough repeat customers) to fit anything. */
  | 'too_few_customers'
  /** The optimiser did not reach a zero gradient: usually the likelihood has no interior maximum. */
  | 'not_converged'
  /** The fitted parameters give no finite prediction (e.g. Gamma-Gamma q ≤ 1: infinite mean spend). */
  | 'degenerate_fit';

export class ClvException extends Error {
  constructor(
    readonly code: ClvExceptionCode,
    /** Human-readable reason, without the field name. */
    readonly reason: string,
    /** The option, parameter or customer concerned, when there is one. */
    readonly field?: string,
  ) {
    super(field ? `${field}: ${reason}` : reason);
    this.name = 'ClvException';
  }
}
