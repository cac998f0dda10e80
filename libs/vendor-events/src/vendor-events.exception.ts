import { CodedException, type ErrorDetail } from '@audiencekit/util';

/** Why a vendor's callback was refused. apps/api maps each code to an HTTP status. */
export type VendorEventsExceptionCode =
  /** No live destination with that id, or one of another connector. */
  | 'vendor_destination_not_found'
  /** Signature header missing, not valid, or the destination has nothing to verify it with. */
  | 'invalid_signature'
  /** A signed timestamp older (or later) than the tolerance: a replay. */
  | 'stale_signature'
  /** The body is not what the vendor documents (not a JSON array of events, a field missing). */
  | 'invalid_vendor_body';

export class VendorEventsException extends CodedException<VendorEventsExceptionCode> {
  constructor(code: VendorEventsExceptionCode, message: string, details?: readonly ErrorDetail[]) {
    super(code, message, details);
  }
}
