/**
 * Twilio status callbacks and incoming messages → our events and opt-outs. Pure.
 * Opt-out keywords: Twilio's default handling for long codes ("Customize users' opt-in and opt-out
 * experience with Advanced Opt-Out": STOP, UNSUBSCRIBE, END, QUIT, STOPALL, REVOKE, OPTOUT, CANCEL);
 * opt-in: START, YES, UNSTOP. Matched as Twilio does: the whole message, trimmed, case-insensitive.
 * A Messaging Service with Advanced Opt-Out sends `OptOutType` (STOP / START / HELP), which wins.
 */
export const OPT_OUT_KEYWORDS: ReadonlySet<string> = new Set([
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
]);
export const OPT_IN_KEYWORDS: ReadonlySet<string> = new Set(['START', 'YES', 'UNSTOP']);

/** The query parameter the twilio connector adds to StatusCallback (plugins/twilio `DELIVERY_KEY_PARAM`). */
export const TWILIO_DELIVERY_KEY_PARAM = 'akDeliveryKey';

export type OptChange = 'opt_out' | 'opt_in' | null;

export function optChangeOf(params: Readonly<Record<string, string>>): OptChange {
  const type = (params['OptOutType'] ?? '').trim().toUpperCase();
  if (type === 'STOP') return 'opt_out';
  if (type === 'START') return 'opt_in';
  const body = (params['Body'] ?? '').trim().toUpperCase();
  if (OPT_OUT_KEYWORDS.has(body)) return 'opt_out';
  if (OPT_IN_KEYWORDS.has(body)) return 'opt_in';
  return null;
}

/** Message statuses of a status callback that become events (accepted/scheduled/sending are not). */
export const TWILIO_STATUS_EVENTS: Readonly<Record<string, string>> = {
  queued: 'SMS Queued',
  sent: 'SMS Sent',
  delivered: 'SMS Delivered',
  undelivered: 'SMS Undelivered',
  failed: 'SMS Failed',
  read: 'SMS Read',
};

export const SMS_RECEIVED_EVENT = 'SMS Received';
export const SMS_OPTED_OUT_EVENT = 'SMS Opted Out';
export const SMS_OPTED_IN_EVENT = 'SMS Opted In';

/** Form fields as one string per name (Twilio sends each once; the first wins otherwise). */
export function formParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) if (!(name in params)) params[name] = value;
  return params;
}
