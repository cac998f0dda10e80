import type { TrackingEvent } from '../tracking-event';
import { DeviceTypeParser } from './device-type';
import { GeoLocation, GeoLookup } from './geo-lookup';
import { normalizeIp, truncateIp } from './ip-address';
import { DEFAULT_IP_RETENTION, IpRetention } from './ip-retention';

export interface ContextEnricherOptions {
  /** What to store of `context.ip` once the location is derived (default `truncate`). */
  ipRetention?: IpRetention;
  /** IP → location; null: no geolocation. */
  geo: GeoLookup | null;
  /** User agent → device type; null: none. */
  devices: DeviceTypeParser | null;
}

const LOCATION_FIELDS = ['country', 'region', 'city', 'postalCode', 'latitude', 'longitude'] as const;

/**
 * Adds what the server knows of where and how an event was sent, before it is stored:
 * - `context.ip`: the client's when it sent one, else the request's address (as Segment's API does);
 * - `context.location` `{ country, region, city, postalCode, latitude, longitude }`: each field the
 *   client did not send, from that IP; `source: 'ip'` when any came from the lookup;
 * - `context.device.type` from `context.userAgent` when the client sent no device type;
 * - then `context.ip` kept, truncated or dropped (`ipRetention`).
 * The client's own values are never overwritten. Events are changed in place: each event's context
 * is its own object (the parser lays a batch's context under a copy per message), and nested
 * objects that may be shared (a batch's `location`, `device`) are replaced, never written into.
 */
export class ContextEnricher {
  private readonly retention: IpRetention;

  constructor(private readonly options: ContextEnricherOptions) {
    this.retention = options.ipRetention ?? DEFAULT_IP_RETENTION;
  }

  /** `requestIp`: the address the request came from (any form `normalizeIp` reads), or null. */
  enrich(events: readonly TrackingEvent[], requestIp: string | null | undefined): void {
    const requestAddress = normalizeIp(requestIp);
    for (const event of events) this.enrichOne(event, requestAddress);
  }

  private enrichOne(event: TrackingEvent, requestAddress: string | null): void {
    let context = event.context;
    const sentIp = context?.['ip'];
    const clientSentIp = sentIp !== undefined && sentIp !== null && sentIp !== '';
    if (!context) {
      if (!requestAddress) return;
      context = event.context = {};
    }
    if (!clientSentIp && requestAddress) context['ip'] = requestAddress;
    const ip = clientSentIp ? normalizeIp(sentIp) : requestAddress;

    if (ip && this.options.geo) {
      const found = this.options.geo.lookup(ip);
      if (found) fillLocation(context, found);
    }
    if (this.options.devices) fillDeviceType(context, this.options.devices);

    if (this.retention !== 'keep' && context['ip'] !== undefined) {
      // Not `delete`: it turns the object into a slow dictionary; JSON.stringify leaves undefined out.
      context['ip'] = this.retention === 'truncate' && ip ? truncateIp(ip) : undefined;
    }
  }
}

function fillLocation(context: Record<string, unknown>, found: GeoLocation): void {
  const sent = context['location'];
  if (sent === undefined || sent === null) {
    context['location'] = { ...found, source: 'ip' };
    return;
  }
  if (!isPlainObject(sent)) return; // not a location object: the client's, left as it is
  let merged: Record<string, unknown> | null = null;
  for (const field of LOCATION_FIELDS) {
    if ((sent[field] === undefined || sent[field] === null) && found[field] !== undefined) {
      merged ??= { ...sent };
      merged[field] = found[field];
    }
  }
  if (merged) {
    merged['source'] = 'ip';
    context['location'] = merged;
  }
}

function fillDeviceType(context: Record<string, unknown>, devices: DeviceTypeParser): void {
  const userAgent = context['userAgent'];
  if (typeof userAgent !== 'string') return;
  const device = context['device'];
  if (device !== undefined && device !== null && !isPlainObject(device)) return;
  if (device && device['type'] !== undefined && device['type'] !== null) return;
  const type = devices.parse(userAgent);
  if (type) context['device'] = device ? { ...device, type } : { type };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
