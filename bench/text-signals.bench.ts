// Throughput of the worker's text-signal scoring pass (issue #24), on a real Postgres:
//   npm run bench -- text-signals            (--events=20000 to change the size)
// Scoring runs in the worker, not in the ingest request path: ingestion has no trigger, no new index
// and no extra statement for it (the migration adds only a nullable column), so `npm run bench --
// ingest` measures the same path as before. What this bench measures instead is how fast the worker
// catches up: N `Review Submitted` events (the labelled review sentences of bench/data/vader-ground-truth
// as their text) among 3×N other events, scored by `TextSignalsService.scorePending` (read the
// unscored events of the name in received_at order, score, UPDATE events.signals, move the watermark;
// 500 per transaction). Baseline in the same process: the scoring alone (`signalsOf`, sentiment + a
// compiled matcher) over the same texts, without the database.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { signalsOf, TextSignalsService } from '@audiencekit/segments-service';
import { compileVocabularies } from '@audiencekit/text-signals';
import { createBenchDatabase } from './lib/bench-database';
import { printTable, timeIt } from './lib/report';

const DATA = path.join(__dirname, 'data', 'vader-ground-truth');
const VOCABULARIES = {
  'price-sensitive': ['discount', 'cheap', 'price', 'coupon', 'sale', 'deal'],
  'eco-conscious': ['eco-friendly', 'recycled', 'sustainable', 'organic'],
  'gift-buyer': ['gift', 'gift wrap', 'present', 'birthday'],
};

function sentences(): string[] {
  return ['amazonReviewSnippets_GroundTruth.txt', 'movieReviewSnippets_GroundTruth.txt'].flatMap((file) =>
    readFileSync(path.join(DATA, file), 'utf8')
      .split(/\r?\n/)
      .map((line) => line.split('\t'))
      .filter((parts) => parts.length >= 3)
      .map(([, , ...text]) => text.join('\t')),
  );
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const eventsArg = process.argv.find((arg) => arg.startsWith('--events='));
  const count = eventsArg ? Number(eventsArg.slice('--events='.length)) : 20_000;
  const texts = sentences();
  const db = await createBenchDatabase('text_signals');
  try {
    await db.dataSource.query(`INSERT INTO profiles (traits) SELECT '{}'::jsonb FROM generate_series(1, 1000)`);
    await db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'r-' || g, p.ids[1 + g % 1000], 'track', 'Review Submitted', now() - (g || ' seconds')::interval,
              jsonb_build_object('text', ($2::text[])[1 + g % cardinality($2::text[])], 'rating', 1 + g % 5)
         FROM generate_series(1, $1::int) g, (SELECT array_agg(id) AS ids FROM profiles) p`,
      [count, texts],
    );
    await db.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'o-' || g, p.ids[1 + g % 1000], 'track', 'Product Viewed', now(), jsonb_build_object('sku', 'sku-' || g % 500)
         FROM generate_series(1, $1::int * 3) g, (SELECT array_agg(id) AS ids FROM profiles) p`,
      [count],
    );
    await db.dataSource.query(`VACUUM ANALYZE events`);
    const reviewTexts: string[] = (
      await db.dataSource.query(`SELECT properties->>'text' AS text FROM events WHERE name = 'Review Submitted' ORDER BY id`)
    ).map((row: { text: string }) => row.text);

    // Baseline: the scoring alone, same texts, no database (warm-up pass first).
    const matcher = compileVocabularies(VOCABULARIES);
    reviewTexts.slice(0, 2000).forEach((text) => signalsOf(text, matcher));
    const cpuMs = await timeIt(() => reviewTexts.forEach((text) => signalsOf(text, matcher)));

    const service = new TextSignalsService(db.dataSource);
    await service.create({ event: 'Review Submitted', property: 'text', vocabularies: VOCABULARIES });
    let scored = 0;
    let passes = 0;
    const passMs = await timeIt(async () => {
      for (;;) {
        const result = await service.scorePending({ maxEvents: 1_000_000 });
        passes += 1;
        scored += result.scored;
        if (result.scored === 0) break;
      }
    });
    const [check] = await db.dataSource.query(
      `SELECT count(*) FILTER (WHERE name = 'Review Submitted' AND signals IS NOT NULL)::int AS scored,
              count(*) FILTER (WHERE name <> 'Review Submitted' AND signals IS NOT NULL)::int AS others_touched,
              count(*) FILTER (WHERE signals->'tags' ? 'price-sensitive')::int AS price_tagged
         FROM events`,
    );
    if (check.scored !== count || check.others_touched !== 0) throw new Error(`unexpected result: ${JSON.stringify(check)}`);
    const rows = [
      {
        work: 'signalsOf alone (baseline, no database)',
        events: count,
        ms: cpuMs,
        'events / s': count / (cpuMs / 1000),
        'µs / event': (cpuMs * 1000) / count,
        ratio: '1',
      },
      {
        work: `worker pass: read, score, UPDATE events.signals (${passes} calls)`,
        events: scored,
        ms: passMs,
        'events / s': scored / (passMs / 1000),
        'µs / event': (passMs * 1000) / scored,
        ratio: (passMs / cpuMs).toFixed(2),
      },
    ];
    console.log(`${count} review events among ${count * 4} events; ${check.price_tagged} tagged price-sensitive; other events untouched`);
    printTable(rows);
  } finally {
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
