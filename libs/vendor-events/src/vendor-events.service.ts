import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import twilio from 'twilio';
import { openSecrets } from '@audiencekit/activation-engine';
import { IngestionService, TrackingEvent } from '@audiencekit/ingestion';
import { normalizeSuppressedValue, SuppressionsService } from '@audiencekit/privacy';
import { APP_CONFIG, AppConfig } from '@audiencekit/server-core';
import { errorMessage } from '@audiencekit/util';
import { parseDeliveryKey } from './delivery-key';
import { parseSendgridEvents, SENDGRID_SUPPRESSING_EVENTS, SENDGRID_EVENT_NAMES, SendgridEvent } from './sendgrid-events';
import { parseSendgridPublicKey, verifySendgridSignature } from './sendgrid-signature';
import {
  formParams,
  optChangeOf,
  SMS_OPTED_IN_EVENT,
  SMS_OPTED_OUT_EVENT,
  SMS_RECEIVED_EVENT,
  TWILIO_DELIVERY_KEY_PARAM,
  TWILIO_STATUS_EVENTS,
} from './twilio-messages';
import { VendorEventsException } from './vendor-events.exception';
import {
  activationUsesDestination,
  deleteOptOutSuppression,
  DestinationRow,
  findDestination,
  firstTreatedAt,
  identifierOfProfile,
  insertOptInAudit,
  ownerOf,
} from './vendor-events.repository';

/** Connector slugs whose destinations take each vendor's callbacks. */
export const SENDGRID_EVENT_CONNECTORS: ReadonlySet<string> = new Set(['sendgrid-email']);
export const TWILIO_EVENT_CONNECTORS: ReadonlySet<string> = new Set(['twilio']);

/** The setting of a SendGrid destination that holds the Event Webhook's verification key. */
export const SENDGRID_PUBLIC_KEY_SETTING = 'eventWebhookPublicKey';

/** Suppressions made from an inbound STOP start with this; START lifts only those. */
export const TWILIO_OPT_OUT_REASON = 'twilio inbound STOP';

export interface VendorEventsResult {
  /** Events newly stored on a profile. */
  stored: number;
  /** Events already stored (a vendor retry). */
  duplicates: number;
  /** Events about nobody we know (no delivery key of ours, no profile with that address). */
  unmatched: number;
  /** Events of a kind we do not record (processed, accepted, …). */
  ignored: number;
  /** Suppressions added (new ones only). */
  suppressed: number;
  /** Suppressions lifted by an opt-in. */
  lifted: number;
}

export interface CallbackUrl {
  name: string;
  url: string;
  /** Where it goes at the vendor. */
  where: string;
}

export interface CallbackUrls {
  destinationId: string;
  connector: string;
  /** AK_PUBLIC_BASE_URL; null while unset (the URLs are then paths only). */
  publicBaseUrl: string | null;
  urls: CallbackUrl[];
}

interface Resolved {
  messageId: string;
  name: string;
  timestamp: Date;
  properties: Record<string, unknown>;
  /** The identifier to match by (the address the vendor wrote to or got a reply from). */
  identifier: { type: 'email' | 'phone'; value: string };
  deliveryKey: string | null;
}

/**
 * The vendors' answers back in (issue #22): verifies each callback as the vendor documents, turns
 * it into tracking events stored through IngestionService (durable, deduplicated by the vendor's
 * event id, stitched, handed to real-time evaluation), and keeps the suppression list in step
 * with bounces, spam reports, unsubscribes and SMS STOP / START. A callback is matched to our
 * profile by the delivery key the connector sent (SendGrid custom arg, Twilio callback query), and
 * falls back to the owner of the address; nobody known → counted as unmatched, no profile created.
 */
@Injectable()
export class VendorEventsService {
  private readonly logger = new Logger(VendorEventsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ingestion: IngestionService,
    private readonly suppressions: SuppressionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** SendGrid's Signed Event Webhook: signature over timestamp + raw body, then a JSON array of events. */
  async sendgrid(
    destinationId: string,
    headers: { signature?: string; timestamp?: string },
    rawBody: Buffer,
    now = new Date(),
  ): Promise<VendorEventsResult> {
    const destination = await this.destination(destinationId, SENDGRID_EVENT_CONNECTORS);
    const configured = destination.settings[SENDGRID_PUBLIC_KEY_SETTING];
    if (typeof configured !== 'string' || configured === '')
      throw new VendorEventsException(
        'invalid_signature',
        `the destination has no settings.${SENDGRID_PUBLIC_KEY_SETTING} to verify signatures with`,
      );
    const parsedKey = parseSendgridPublicKey(configured);
    if ('problem' in parsedKey)
      throw new VendorEventsException('invalid_signature', `settings.${SENDGRID_PUBLIC_KEY_SETTING} ${parsedKey.problem}`);
    if (!headers.signature || !headers.timestamp)
      throw new VendorEventsException('invalid_signature', 'X-Twilio-Email-Event-Webhook-Signature and -Timestamp are required', [
        {
          path: headers.signature ? 'headers.x-twilio-email-event-webhook-timestamp' : 'headers.x-twilio-email-event-webhook-signature',
          message: 'is missing',
        },
      ]);
    if (!verifySendgridSignature(parsedKey.key, headers.signature, headers.timestamp, rawBody))
      throw new VendorEventsException('invalid_signature', "the signature does not verify with the destination's public key", [
        { path: 'headers.x-twilio-email-event-webhook-signature', message: 'does not verify' },
      ]);
    // Checked after the signature (the timestamp is signed): a genuine but old post is a replay.
    const seconds = Number(headers.timestamp);
    const tolerance = this.config.AK_VENDOR_EVENTS_TOLERANCE_SECONDS;
    if (!/^\d{1,12}$/.test(headers.timestamp) || Math.abs(now.getTime() / 1000 - seconds) > tolerance)
      throw new VendorEventsException(
        'stale_signature',
        `the signed timestamp is more than ${tolerance} s away from now: refused as a replay`,
        [{ path: 'headers.x-twilio-email-event-webhook-timestamp', message: `must be within ${tolerance} s of now` }],
      );
    const parsed = parseSendgridEvents(rawBody.toString('utf8'));
    if (!parsed.ok) throw new VendorEventsException('invalid_vendor_body', 'the body is not a SendGrid Event Webhook post', parsed.details);
    const resolved = parsed.events.map(sendgridResolved);
    const result = await this.store(destination, resolved);
    result.ignored += parsed.ignored;
    for (const event of parsed.events.filter((candidate) => SENDGRID_SUPPRESSING_EVENTS.has(candidate.event))) {
      const added = await this.suppress(
        'email',
        event.email,
        'email',
        `sendgrid ${event.event} (destination ${destination.id}, sg_event_id ${event.sgEventId})`,
      );
      if (added) result.suppressed += 1;
    }
    return result;
  }

  /**
   * Twilio status callback or incoming message: `X-Twilio-Signature` checked with the twilio SDK's
   * `validateRequest` over the public URL Twilio called and the form parameters, with the
   * destination's auth token (decrypted here, in memory only, never logged).
   */
  async twilio(
    kind: 'status' | 'inbound',
    destinationId: string,
    signature: string | undefined,
    publicUrl: string,
    rawBody: Buffer,
  ): Promise<VendorEventsResult> {
    const destination = await this.destination(destinationId, TWILIO_EVENT_CONNECTORS);
    const params = formParams(rawBody.toString('utf8'));
    if (!signature)
      throw new VendorEventsException('invalid_signature', 'X-Twilio-Signature is required', [
        { path: 'headers.x-twilio-signature', message: 'is missing' },
      ]);
    if (!twilio.validateRequest(this.authToken(destination), signature, publicUrl, params))
      throw new VendorEventsException(
        'invalid_signature',
        "X-Twilio-Signature does not match this URL and body with the destination's auth token",
        [{ path: 'headers.x-twilio-signature', message: 'does not verify' }],
      );
    const sid = params['MessageSid'] ?? params['SmsSid'];
    if (!sid)
      throw new VendorEventsException('invalid_vendor_body', 'MessageSid is required', [
        { path: 'body.MessageSid', message: 'is missing' },
      ]);
    return kind === 'status' ? this.twilioStatus(destination, params, sid, publicUrl) : this.twilioInbound(destination, params, sid);
  }

  private async twilioStatus(
    destination: DestinationRow,
    params: Record<string, string>,
    sid: string,
    publicUrl: string,
  ): Promise<VendorEventsResult> {
    const status = (params['MessageStatus'] ?? params['SmsStatus'] ?? '').toLowerCase();
    const name = TWILIO_STATUS_EVENTS[status];
    if (!name) return { ...EMPTY, ignored: 1 };
    const to = params['To'];
    if (!to) throw new VendorEventsException('invalid_vendor_body', 'To is required', [{ path: 'body.To', message: 'is missing' }]);
    const properties: Record<string, unknown> = { vendor: 'twilio', messageSid: sid, status };
    if (params['ErrorCode']) properties['errorCode'] = params['ErrorCode'];
    if (params['ErrorMessage']) properties['errorMessage'] = params['ErrorMessage'];
    const deliveryKey = new URL(publicUrl).searchParams.get(TWILIO_DELIVERY_KEY_PARAM);
    return this.store(destination, [
      {
        // One event per message and status: Twilio may post a status twice, it is stored once.
        messageId: `twilio:${destination.id}:${sid}:${status}`,
        name,
        timestamp: new Date(),
        properties,
        identifier: { type: 'phone', value: to },
        deliveryKey,
      },
    ]);
  }

  private async twilioInbound(destination: DestinationRow, params: Record<string, string>, sid: string): Promise<VendorEventsResult> {
    const from = params['From'];
    if (!from) throw new VendorEventsException('invalid_vendor_body', 'From is required', [{ path: 'body.From', message: 'is missing' }]);
    const change = optChangeOf(params);
    const name = change === 'opt_out' ? SMS_OPTED_OUT_EVENT : change === 'opt_in' ? SMS_OPTED_IN_EVENT : SMS_RECEIVED_EVENT;
    // The body of a reply is the person's own text: only a keyword is kept, never free text.
    const properties: Record<string, unknown> = {
      vendor: 'twilio',
      messageSid: sid,
      ...(change ? { keyword: (params['Body'] ?? '').trim().toUpperCase() } : {}),
    };
    const result = await this.store(destination, [
      {
        messageId: `twilio:${destination.id}:${sid}:inbound`,
        name,
        timestamp: new Date(),
        properties,
        identifier: { type: 'phone', value: from },
        deliveryKey: null,
      },
    ]);
    if (change === 'opt_out') {
      if (await this.suppress('phone', from, 'sms', `${TWILIO_OPT_OUT_REASON} (destination ${destination.id}, MessageSid ${sid})`))
        result.suppressed += 1;
    } else if (change === 'opt_in') {
      if (await this.liftOptOut(from, destination.id, sid)) result.lifted += 1;
    }
    return result;
  }

  /**
   * The URLs to give the vendor for a destination (the console shows them): built from
   * AK_PUBLIC_BASE_URL, or paths only (`publicBaseUrl: null`) while it is unset.
   */
  async callbackUrls(destinationId: string): Promise<CallbackUrls> {
    const destination = await findDestination(this.dataSource.manager, destinationId);
    if (!destination) throw new VendorEventsException('vendor_destination_not_found', `no live destination with id ${destinationId}`);
    const base = this.config.AK_PUBLIC_BASE_URL ?? null;
    const url = (suffix: string) => `${base ?? ''}/v1/vendor-events/${destination.connector}/${destination.id}${suffix}`;
    const urls: CallbackUrl[] = SENDGRID_EVENT_CONNECTORS.has(destination.connector)
      ? [
          {
            name: 'Event Webhook',
            url: url(''),
            where: `SendGrid: Settings → Mail Settings → Event Webhook, HTTP Post URL; turn on Signed Event Webhook and put its verification key in settings.${SENDGRID_PUBLIC_KEY_SETTING}`,
          },
        ]
      : TWILIO_EVENT_CONNECTORS.has(destination.connector)
        ? [
            {
              name: 'Status callback',
              url: url('/status'),
              where: 'sent by the connector with every message (settings.statusCallbackUrl unset): nothing to paste',
            },
            {
              name: 'Incoming messages',
              url: url('/inbound'),
              where: 'Twilio: the sending number (or Messaging Service) → "A message comes in" → Webhook, HTTP POST',
            },
          ]
        : [];
    return { destinationId: destination.id, connector: destination.connector, publicBaseUrl: base, urls };
  }

  private async destination(id: string, connectors: ReadonlySet<string>): Promise<DestinationRow> {
    const destination = await findDestination(this.dataSource.manager, id);
    if (!destination || !connectors.has(destination.connector))
      throw new VendorEventsException('vendor_destination_not_found', `no live ${[...connectors].join(' / ')} destination with id ${id}`);
    return destination;
  }

  private authToken(destination: DestinationRow): string {
    let secrets: Record<string, unknown>;
    try {
      secrets = openSecrets(destination, this.config.AK_SECRETS_KEYS);
    } catch (error) {
      this.logger.error({ destinationId: destination.id, reason: errorMessage(error) }, 'destination secrets cannot be opened');
      throw new VendorEventsException('invalid_signature', 'the destination secrets cannot be opened to verify the signature');
    }
    const token = secrets['authToken'];
    if (typeof token !== 'string' || token === '')
      throw new VendorEventsException(
        'invalid_signature',
        'the destination has no secrets.authToken: Twilio signs callbacks with the account auth token',
      );
    return token;
  }

  /** Stores resolved events on their profiles (one ingest call: one transaction). */
  private async store(destination: DestinationRow, items: Resolved[]): Promise<VendorEventsResult> {
    const result = { ...EMPTY };
    const events: TrackingEvent[] = [];
    for (const item of items) {
      const target = await this.targetOf(destination.id, item);
      if (!target) {
        result.unmatched += 1;
        continue;
      }
      const { identifier } = target;
      // The vendor's event is about a message the activation sent, so it cannot precede the send;
      // but our exposure is recorded after the vendor's ack, and SendGrid stamps whole seconds (a
      // vendor's clock may also run behind ours): an event that reads earlier is moved to the
      // exposure, else a lift report would count it before the treatment, as no conversion.
      const timestamp = target.treatedAt !== null && item.timestamp < target.treatedAt ? target.treatedAt : item.timestamp;
      const moved = timestamp !== item.timestamp;
      events.push({
        messageId: item.messageId,
        type: 'track',
        name: item.name,
        timestamp,
        receivedAt: new Date(),
        properties: {
          ...item.properties,
          destinationId: destination.id,
          ...(target.activationId ? { activationId: target.activationId } : {}),
          ...(moved ? { vendorTimestamp: item.timestamp.toISOString() } : {}),
        },
        context: { library: { name: 'audiencekit-vendor-events' } },
        userId: identifier.type === 'user_id' ? identifier.value : null,
        anonymousId: identifier.type === 'anonymous_id' ? identifier.value : null,
        previousId: null,
        traits: null,
        personTraits: identifier.type === 'email' || identifier.type === 'phone' ? { [identifier.type]: identifier.value } : null,
      });
    }
    if (events.length === 0) return result;
    const ingested = await this.ingestion.ingest(events, {});
    result.stored = ingested.stored;
    result.duplicates = ingested.duplicates;
    return result;
  }

  /**
   * The identifier an event is stored through: the delivery key's profile (when the key is ours and
   * its activation sends to this destination), else the owner of the address; null when neither.
   * With a key of ours, also the activation that sent the message and when it treated the profile.
   */
  private async targetOf(destinationId: string, item: Resolved): Promise<Target | null> {
    const normalized = normalizeSuppressedValue(item.identifier.type, item.identifier.value);
    if ('problem' in normalized) return null;
    const preferred = { type: item.identifier.type, value: normalized.value };
    const manager = this.dataSource.manager;
    const key = parseDeliveryKey(item.deliveryKey);
    const ours = key !== null && (await activationUsesDestination(manager, key.activationId, destinationId));
    const sent = ours
      ? { activationId: key.activationId, treatedAt: await firstTreatedAt(manager, key.activationId, key.profileId) }
      : NOT_SENT;
    if (ours) {
      const found = await identifierOfProfile(manager, key.profileId, preferred);
      if (found) return { identifier: found, ...sent };
    }
    const owner = await ownerOf(manager, preferred.type, preferred.value);
    return owner ? { identifier: preferred, ...sent } : null;
  }

  /** Adds a suppression (idempotent; an existing entry keeps its first reason). True when new. */
  private async suppress(identifierType: 'email' | 'phone', raw: string, channel: 'email' | 'sms', reason: string): Promise<boolean> {
    const normalized = normalizeSuppressedValue(identifierType, raw);
    if ('problem' in normalized) {
      this.logger.warn({ identifierType, problem: normalized.problem }, 'vendor event names an identifier that cannot be suppressed');
      return false;
    }
    const { created } = await this.suppressions.add({ identifierType, value: normalized.value, channel, reason }, null);
    return created;
  }

  /** START: lifts the sms suppression of the number only when an inbound STOP made it. */
  private async liftOptOut(raw: string, destinationId: string, sid: string): Promise<boolean> {
    const normalized = normalizeSuppressedValue('phone', raw);
    if ('problem' in normalized) return false;
    return this.dataSource.transaction(async (manager) => {
      const key = { identifierType: 'phone', value: normalized.value, channel: 'sms' };
      const lifted = await deleteOptOutSuppression(manager, key, TWILIO_OPT_OUT_REASON);
      if (!lifted) return false;
      await insertOptInAudit(manager, lifted.id, {
        ...key,
        reason: `twilio inbound START (destination ${destinationId}, MessageSid ${sid})`,
        suppressedFor: lifted.reason,
      });
      return true;
    });
  }
}

/** Whom an event is stored on, and the send it is about when its delivery key is ours. */
interface Target {
  identifier: { type: string; value: string };
  activationId: string | null;
  /** The activation's first treatment exposure of the key's profile. */
  treatedAt: Date | null;
}

const NOT_SENT = { activationId: null, treatedAt: null } as const;

const EMPTY: VendorEventsResult = { stored: 0, duplicates: 0, unmatched: 0, ignored: 0, suppressed: 0, lifted: 0 };

function sendgridResolved(event: SendgridEvent): Resolved {
  return {
    // sg_event_id is unique per event and kept across SendGrid's retries: the dedupe key.
    messageId: `sendgrid:${event.sgEventId}`,
    name: SENDGRID_EVENT_NAMES[event.event],
    timestamp: event.timestamp,
    properties: event.properties,
    identifier: { type: 'email', value: event.email },
    deliveryKey: event.deliveryKey,
  };
}
