import { randomBytes } from 'node:crypto';
import {
  FakeResponse,
  FakeVendorServer,
  OpenApiRequestValidator,
  OpenApiViolation,
  RecordedRequest,
  startFakeVendor,
} from '@audiencekit/connector-sdk/testing';
import { twilioSpecValidator } from './twilio-spec';

/**
 * A fake of the Twilio REST API 2010-04-01 endpoints the SMS connector uses. Every request is
 * validated against Twilio's own OpenAPI file (twilio/twilio-oai twilio_api_v2010.json, the
 * operations extracted in ../../spec/): Basic auth, the AccountSid / Sid path patterns, the
 * form-encoded CreateMessageRequest (types, MessagingServiceSid pattern, StatusCallback `uri`, the
 * `x-twilio.conditional` groups). On top, what Twilio documents beside the schema: Body up to
 * 1,600 characters (21617), ValidityPeriod 1–36000 (21624), a StatusCallback URL that is http(s)
 * with a host without underscores, at most 4,000 characters (21609), and the magic numbers of the
 * test credentials page (To +15005550001 → 21211, +15005550002 → 21612, +15005550003 → 21408,
 * +15005550004 → 21610, +15005550009 → 21614; From +15005550001 → 21212, +15005550007 → 21606,
 * +15005550008 → 21611). Errors are JSON `{ code, message, more_info, status }`. Twilio documents
 * no rate-limit headers: over `concurrency` requests at once (optional) answer 429 with code 20429.
 * Runnable on its own: see ../../fake-server.ts.
 */
export interface TwilioFakeOptions {
  /** Account SID → Auth Token. */
  accounts: Record<string, string>;
  /** API key SID → { secret, account SID }. */
  apiKeys?: Record<string, { secret: string; accountSid: string }>;
  /** More numbers that replied STOP (21610), besides the magic one. */
  optedOut?: string[];
  /** Requests handled at once before 429 / 20429 "Too Many Requests" (default: no limit). */
  concurrency?: number;
  /** Each request waits for this before it is answered (tests hold requests open to make them concurrent). */
  hold?: () => Promise<void>;
  port?: number;
}

export interface FakeMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback?: string;
  numSegments: number;
}

export interface TwilioFake {
  server: FakeVendorServer;
  url: string;
  /** The validator built from the committed OpenAPI extract (the same the fake refuses with). */
  validator: OpenApiRequestValidator;
  messages: FakeMessage[];
  stop(): Promise<void>;
}

export const MAGIC_INVALID_TO = '+15005550001';
export const MAGIC_UNROUTABLE_TO = '+15005550002';
export const MAGIC_NO_INTERNATIONAL_PERMISSION_TO = '+15005550003';
export const MAGIC_BLOCKED_TO = '+15005550004';
export const MAGIC_NOT_SMS_CAPABLE_TO = '+15005550009';
export const MAGIC_INVALID_FROM = '+15005550001';
export const MAGIC_NOT_OWNED_FROM = '+15005550007';
export const MAGIC_QUEUE_FULL_FROM = '+15005550008';
/** ValidityPeriod, seconds (error 21624: "integers between 1 and 36,000"). */
export const MIN_VALIDITY_PERIOD = 1;
export const MAX_VALIDITY_PERIOD = 36_000;
/** StatusCallback length (error 21609: "The URL exceeds the 4000-character limit"). */
export const MAX_STATUS_CALLBACK_LENGTH = 4_000;
const E164 = /^\+[1-9]\d{1,14}$/;

export async function startTwilioFake(options: TwilioFakeOptions): Promise<TwilioFake> {
  const messages: FakeMessage[] = [];
  const optedOut = new Set([MAGIC_BLOCKED_TO, ...(options.optedOut ?? [])]);
  const validator = twilioSpecValidator();
  let inFlight = 0;
  const authed = (handler: (request: RecordedRequest, accountSid: string) => FakeResponse) => async (request: RecordedRequest) => {
    if (options.concurrency !== undefined && inFlight >= options.concurrency) return twilioError(429, 20429, 'Too Many Requests');
    inFlight += 1;
    try {
      await options.hold?.();
      return check(request, handler);
    } finally {
      inFlight -= 1;
    }
  };
  const check = (request: RecordedRequest, handler: (request: RecordedRequest, accountSid: string) => FakeResponse): FakeResponse => {
    const violations = validator.validate(request).violations;
    const accountSid = authenticate(request, options);
    if (!accountSid || violations.some((item) => item.location === 'security')) return twilioError(401, 20003, 'Authenticate');
    // Route params are whole path segments: the fetch route's segment is `{Sid}.json`.
    const pathSid = request.params.accountSid ?? request.params.accountFile?.replace(/\.json$/, '');
    if (accountSid !== pathSid) return twilioError(404, 20404, `The requested resource ${request.path} was not found`);
    return specError(violations) ?? handler(request, accountSid);
  };
  const server = await startFakeVendor({
    port: options.port,
    notFound: (request) => twilioError(404, 20404, `The requested resource ${request.path} was not found`),
    routes: {
      'GET /2010-04-01/Accounts/:accountFile': authed((_request, accountSid) => ({ status: 200, body: accountBody(accountSid) })),
      'POST /2010-04-01/Accounts/:accountSid/Messages.json': authed((request, accountSid) =>
        createMessage(request, accountSid, messages, optedOut),
      ),
    },
  });
  return { server, url: server.url, validator, messages, stop: () => server.stop() };
}

/**
 * A spec violation as Twilio answers it: the error code Twilio documents for that parameter, else
 * 400 with code 400 ("Bad Request", the first entry of Twilio's error dictionary) naming the parameter.
 */
function specError(violations: OpenApiViolation[]): FakeResponse | undefined {
  const first = violations[0];
  if (!first) return undefined;
  if (first.location === 'operation' || first.location === 'path') return twilioError(404, 20404, `The requested resource was not found`);
  const field = first.field;
  if (field === 'To' && first.keyword === 'required') return twilioError(400, 21604, "A 'To' phone number is required.");
  if (field === 'From|MessagingServiceSid')
    return twilioError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.");
  if (field === 'Body|MediaUrl|ContentSid') return twilioError(400, 21602, 'Message body is required.');
  if (field === 'MessagingServiceSid') return twilioError(400, 21703, 'The Messaging Service Sid is invalid.');
  if (field === 'StatusCallback') return twilioError(400, 21609, "Invalid 'StatusCallback'");
  if (field === 'ValidityPeriod') return twilioError(400, 21624, 'Invalid validity period value');
  return twilioError(400, 400, `Invalid parameter ${field}: ${first.message}`);
}

/** `{ code, message, more_info, status }`, as every Twilio REST error. */
export function twilioError(status: number, code: number, message: string): FakeResponse {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

function authenticate(request: RecordedRequest, options: TwilioFakeOptions): string | undefined {
  const header = String(request.headers.authorization ?? '');
  if (!header.startsWith('Basic ')) return undefined;
  const [user, password] = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8').split(':');
  if (options.accounts[user] !== undefined && options.accounts[user] === password) return user;
  const key = options.apiKeys?.[user];
  return key && key.secret === password ? key.accountSid : undefined;
}

function accountBody(sid: string) {
  return {
    sid,
    friendly_name: 'audiencekit fake account',
    status: 'active',
    type: 'Full',
    date_created: 'Thu, 01 Jan 2026 00:00:00 +0000',
    uri: `/2010-04-01/Accounts/${sid}.json`,
  };
}

function createMessage(request: RecordedRequest, accountSid: string, messages: FakeMessage[], optedOut: Set<string>): FakeResponse {
  const form = (request.body ?? {}) as Record<string, string | undefined>;
  const { To: to, From: from, MessagingServiceSid: service, Body: body = '', StatusCallback: statusCallback } = form;
  if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
  if (!from && !service) return twilioError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.");
  if (service && !/^MG[0-9a-fA-F]{32}$/.test(service)) return twilioError(400, 21703, 'The Messaging Service Sid is invalid.');
  if (!body) return twilioError(400, 21602, 'Message body is required.');
  if (body.length > 1600) return twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
  if (form.ValidityPeriod !== undefined && !validValidityPeriod(form.ValidityPeriod))
    return twilioError(400, 21624, 'Invalid validity period value');
  if (statusCallback !== undefined && !validStatusCallback(statusCallback)) return twilioError(400, 21609, "Invalid 'StatusCallback'");
  if (from === MAGIC_INVALID_FROM)
    return twilioError(400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
  if (from === MAGIC_NOT_OWNED_FROM)
    return twilioError(
      400,
      21606,
      `The 'From' phone number provided (${from}) is not a valid message-capable Twilio phone number for this destination/account.`,
    );
  if (!E164.test(to) || to === MAGIC_INVALID_TO) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  if (to === MAGIC_UNROUTABLE_TO) return twilioError(400, 21612, `The 'To' phone number: ${to}, is not currently reachable via SMS.`);
  if (to === MAGIC_NO_INTERNATIONAL_PERMISSION_TO)
    return twilioError(400, 21408, `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`);
  if (to === MAGIC_NOT_SMS_CAPABLE_TO) return twilioError(400, 21614, `'To' number ${to} is not a valid mobile number`);
  if (optedOut.has(to)) return twilioError(400, 21610, 'Attempt to send to unsubscribed recipient');
  if (from === MAGIC_QUEUE_FULL_FROM)
    return twilioError(400, 21611, "This 'From' number has exceeded the maximum number of queued messages");
  const message: FakeMessage = {
    sid: `SM${randomBytes(16).toString('hex')}`,
    accountSid,
    to,
    from: from ?? null,
    messagingServiceSid: service ?? null,
    body,
    statusCallback,
    numSegments: segments(body),
  };
  messages.push(message);
  return { status: 201, body: messageBody(message) };
}

function validValidityPeriod(value: string): boolean {
  const seconds = Number(value);
  return /^\d+$/.test(value) && seconds >= MIN_VALIDITY_PERIOD && seconds <= MAX_VALIDITY_PERIOD;
}

/** Error 21609's causes: not a URL, not http(s), a host with an underscore, over 4,000 characters. */
function validStatusCallback(value: string): boolean {
  if (value.length > MAX_STATUS_CALLBACK_LENGTH) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.hostname.includes('_');
  } catch {
    return false;
  }
}

/** GSM-7 bodies take 160 characters in one segment and 153 a segment beyond; others (UCS-2) 70 and 67. */
function segments(body: string): number {
  const gsm = /^[\x20-\x7e\n\r£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà]*$/.test(body);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  return body.length <= single ? 1 : Math.ceil(body.length / multi);
}

function messageBody(message: FakeMessage) {
  return {
    account_sid: message.accountSid,
    api_version: '2010-04-01',
    body: message.body,
    date_created: new Date().toUTCString(),
    date_sent: null,
    date_updated: new Date().toUTCString(),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: message.from,
    messaging_service_sid: message.messagingServiceSid,
    num_media: '0',
    num_segments: String(message.numSegments),
    price: null,
    price_unit: null,
    sid: message.sid,
    status: message.messagingServiceSid ? 'accepted' : 'queued',
    subresource_uris: { media: `/2010-04-01/Accounts/${message.accountSid}/Messages/${message.sid}/Media.json` },
    to: message.to,
    uri: `/2010-04-01/Accounts/${message.accountSid}/Messages/${message.sid}.json`,
  };
}
