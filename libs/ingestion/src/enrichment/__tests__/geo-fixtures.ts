import type { CityRecord, GeoLookup } from '../geo-lookup';

/**
 * A public address the shipped database places in a city with a region and a postal code, found in
 * the database itself (so a database update cannot break the tests), with its record.
 */
export function addressWithCity(geo: GeoLookup, family: 4 | 6 = 4, skip = 0): { ip: string; record: Required<CityRecord> } {
  let skipped = 0;
  for (const ip of candidates(family)) {
    const record = geo.record(ip);
    if (record?.city && record.state1 && record.postcode && record.country_code && skipped++ >= skip)
      return { ip, record: record as Required<CityRecord> };
  }
  throw new Error(`no IPv${family} address with a city, region and postal code in the database`);
}

function* candidates(family: 4 | 6): Generator<string> {
  if (family === 4) {
    for (let a = 2; a < 224; a += 1) for (let b = 0; b < 256; b += 37) yield `${a}.${b}.${(a * 7) % 256}.17`;
  } else {
    for (let a = 0x2a00; a < 0x2c10; a += 1) for (let b = 0; b < 0x10000; b += 0x1111) yield `${a.toString(16)}:${b.toString(16)}::17`;
  }
}
