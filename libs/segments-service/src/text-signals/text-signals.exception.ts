import { CodedException, type ErrorDetail } from '@audiencekit/util';

/** Why a text-signal configuration request was refused. apps/api maps each code to an HTTP status. */
export type TextSignalsExceptionCode =
  /** A configuration for this event name exists already (one scored property per event). 409 */
  'text_signal_config_exists' | 'text_signal_config_not_found';

export class TextSignalsException extends CodedException<TextSignalsExceptionCode> {
  constructor(code: TextSignalsExceptionCode, message: string, details?: readonly ErrorDetail[]) {
    super(code, message, details);
  }
}
