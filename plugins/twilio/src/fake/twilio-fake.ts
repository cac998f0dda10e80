import { randomBytes } from 'node:crypto';
import { FakeResponse, FakeVendorServer, RecordedRequest, startFakeVendor } from '@audiencekit/connector-sdk/testing';

/**
 * A fake of the Twilio REST API 2010-04-01 endpoints the SMS connector uses, after twilio-oai's
 * twilio_api_v2010.json (CreateMessageRequest, form-encoded; Account fetch) and Twilio's error
 * dictionary: Basic auth with an Account SID + Auth Token or an API key, JSON error bodies
 * `{ code, message, more_info, status }`, and the magic numbers of Twilio's test credentials
 * (+15005550001 invalid → 21211, +15005550004 blocked → 21610, +15005550009 not SMS-capable →
 * 21614; From +15005550008 → 21611 queue full). Runnable on its own: see ../../fake-server.ts.
 */
export interface TwilioFakeOptions {
  /** Account SID → Auth Token. */
  accounts: Record<string, string>;
  /** API key SID → { secret, account SID }. */
  apiKeys?: Record<string, { secret: string; accountSid: string }>;
  /** More numbers that replied STOP (21610), besides the magic one. */
  optedOut?: string[];
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
  messages: FakeMessage[];
  stop(): Promise<void>;
}

export const MAGIC_INVALID_TO = '+15005550001';
export const MAGIC_BLOCKED_TO = '+15005550004';
export const MAGIC_NOT_SMS_CAPABLE_TO = '+15005550009';
export const MAGIC_QUEUE_FULL_FROM = '+15005550008';
const E164 = /^\+[1-9]\d{1,14}$/;

export async function startTwilioFake(options: TwilioFakeOptions): Promise<TwilioFake> {
  const messages: FakeMessage[] = [];
  const optedOut = new Set([MAGIC_BLOCKED_TO, ...(options.optedOut ?? [])]);
  const authed = (handler: (request: RecordedRequest, accountSid: string) => FakeResponse) => (request: RecordedRequest) => {
    const accountSid = authenticate(request, options);
    if (!accountSid) return twilioError(401, 20003, 'Authenticate');
    // Route params are whole path segments: the fetch route's segment is `{Sid}.json`.
    const pathSid = request.params.accountSid ?? request.params.accountFile?.replace(/\.json$/, '');
    if (accountSid !== pathSid) return twilioError(404, 20404, `The requested resource ${request.path} was not found`);
    return handler(request, accountSid);
  };
  const server = await startFakeVendor({
    port: options.port,
    routes: {
      'GET /2010-04-01/Accounts/:accountFile': authed((_request, accountSid) => ({ status: 200, body: accountBody(accountSid) })),
      'POST /2010-04-01/Accounts/:accountSid/Messages.json': authed((request, accountSid) =>
        createMessage(request, accountSid, messages, optedOut),
      ),
    },
  });
  return { server, url: server.url, messages, stop: () => server.stop() };
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
  if (!E164.test(to) || to === MAGIC_INVALID_TO) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
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
