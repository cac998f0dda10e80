/**
 * The API's context enrichment on its own (issue 20): µs per event of `ContextEnricher.enrich`
 * (context.ip, IP → location, user agent → device type, IP truncation), in-process, on the events
 * the ingest bench sends — one public address per person, a handful of browsers. Compares the
 * per-address cache on and off, and addresses that need no lookup (private). The end-to-end cost
 * (ingest/COPY ratio) is `npm run bench -- ingest`; this one says where it goes.
 *
 *   npm run bench -- geo-enrichment                 # 200k events, 10k people
 *   npm run bench -- geo-enrichment --events=1000000 --people=50000
 */
import { ContextEnricher, DeviceTypeParser, GeoLookup, TrackingEvent } from '@audiencekit/ingestion';
import { printTable, timeIt } from './lib/report';

const EVENTS = Number(argument('events') ?? 200_000);
const PEOPLE = Number(argument('people') ?? 10_000);

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

// As bench/ingest.bench.ts sends them.
const PUBLIC_FIRST_OCTETS = [2, 5, 24, 31, 37, 46, 62, 66, 77, 78, 81, 82, 86, 89, 92, 94, 109, 176, 185, 212];
const publicAddress = (user: number) =>
  `${PUBLIC_FIRST_OCTETS[user % PUBLIC_FIRST_OCTETS.length]}.${(user >> 4) % 256}.${(user >> 12) % 256}.${(user % 250) + 1}`;
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
];

function events(address: (user: number) => string): TrackingEvent[] {
  let state = 42;
  const next = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296;
  return Array.from({ length: EVENTS }, (_, index) => {
    const user = Math.floor(next() * PEOPLE);
    return {
      messageId: `m${index}`,
      type: 'track',
      name: 'Product Viewed',
      timestamp: new Date(),
      receivedAt: new Date(),
      properties: {},
      context: {
        library: { name: 'analytics-node', version: '3.1.0' },
        ip: address(user),
        userAgent: USER_AGENTS[user % USER_AGENTS.length],
      },
      userId: `user-${user}`,
      anonymousId: null,
      previousId: null,
      traits: null,
      personTraits: null,
    };
  });
}

async function main() {
  const opened: GeoLookup[] = [];
  const openMs = await timeIt(() => opened.push(new GeoLookup({ cacheSize: 0 })));
  const uncached = opened[0];
  const cached = new GeoLookup({ cacheSize: 10_000 });
  const rows: Record<string, string | number>[] = [];
  const variants: [string, GeoLookup | null, (user: number) => string][] = [
    ['public IPs, cache 10k', cached, publicAddress],
    ['public IPs, no cache', uncached, publicAddress],
    ['private IPs (no lookup)', cached, (user) => `10.${user % 250}.${(user >> 8) % 250}.1`],
    ['device type only (no geo)', null, publicAddress],
  ];
  for (const [name, lookup, address] of variants) {
    const enricher = new ContextEnricher({ ipRetention: 'truncate', geo: lookup, devices: new DeviceTypeParser() });
    enricher.enrich(events(address).slice(0, 20_000), null); // warm-up (JIT, caches)
    const batch = events(address);
    const ms = await timeIt(() => {
      for (let start = 0; start < batch.length; start += 500) enricher.enrich(batch.slice(start, start + 500), '127.0.0.1');
    });
    rows.push({ variant: name, events: EVENTS, people: PEOPLE, 'µs/event': (ms * 1000) / EVENTS });
  }
  console.log(`database opened (read into memory) in ${openMs.toFixed(0)} ms`);
  printTable(rows);
}

void main();
