/**
 * RFM on the full UCI Online Retail data (../shared/data/online_retail.csv: 541,909 rows, 4,372
 * customers), imported through the real CLI importer into a scratch database. Times (median of 3):
 * the RFM score query (rank-based quintiles in SQL) against the usual hand-written NTILE(5) query
 * over the same aggregates (the baseline; NTILE splits ties arbitrarily, ours never does), then real
 * refreshes (SegmentRefreshService.execute) of an RFM tier segment, an intent × value cell, and a
 * k-means segment scored with its stored model, plus the k-means fit on create.
 *
 *   npm run bench -- rfm
 *   npm run bench -- rfm --file=online_retail_sample.csv   # the 30,000-row sample, for a quick look
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { compileRfmScoresSql, parseSegmentDefinition, type RfmDefinition } from '@audiencekit/segments-domain';
import { SegmentDefinitionGate, SegmentRefreshService, SegmentsService } from '@audiencekit/segments-service';
import type { JobQueue } from '@audiencekit/server-core';
import { createBenchDatabase } from './lib/bench-database';
import { printTable, timeIt } from './lib/report';

const FILE = argument('file') ?? 'online_retail.csv';
const ROOT = path.resolve(__dirname, '..');
const NOW = new Date('2011-12-10T00:00:00Z');
const REPEATS = 3;

/** data/ holds the small sets; the full 48 MB online_retail.csv stays in ../shared/data beside the repository. */
function dataFile(file: string): string {
  const candidates = [path.join(ROOT, 'data', file), path.resolve(ROOT, '../shared/data', file)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`${file} not found in ${candidates.join(' or ')}`);
  return found;
}

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

async function median(work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) times.push(await timeIt(work));
  return times.sort((a, b) => a - b)[Math.floor(REPEATS / 2)];
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('rfm');
  try {
    const importMs = await timeIt(async () => {
      const { DATABASE_URL: _inherited, ...env } = process.env;
      const output = execFileSync(
        process.execPath,
        ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), 'import', 'orders', dataFile(FILE)],
        {
          cwd: ROOT,
          env: { ...env, DATABASE_URL: database.url },
          maxBuffer: 16 * 1024 * 1024,
        },
      ).toString();
      console.log(output.trim());
    });
    const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
      database.dataSource.query(sql, params);
    await query('ANALYZE');
    const [{ events }] = await query<{ events: number }>(`SELECT count(*)::int AS events FROM events`);

    const definition = parseSegmentDefinition({ type: 'rfm', tiers: ['champions'], window: 'ever' }) as RfmDefinition;
    const scores = compileRfmScoresSql(definition, { now: NOW });
    const ntile = {
      text: `SELECT b.profile_id, ntile(5) OVER (ORDER BY b.last_purchase_at) AS r, ntile(5) OVER (ORDER BY b.frequency) AS f, ntile(5) OVER (ORDER BY b.monetary) AS m
             FROM (SELECT e.profile_id, max(e.timestamp) AS last_purchase_at, count(DISTINCT e.properties ->> 'order_id') AS frequency,
                          sum((e.properties ->> 'revenue')::numeric) AS monetary
                   FROM events e WHERE e.name = 'Order Completed' GROUP BY e.profile_id) b`,
      values: [],
    };
    const purchasers = (await query(scores.text, scores.values)).length;
    const oursMs = await median(() => query(scores.text, scores.values));
    const ntileMs = await median(() => query(ntile.text, ntile.values));

    const gate = new SegmentDefinitionGate();
    const segments = new SegmentsService(database.dataSource, gate);
    const refresh = new SegmentRefreshService(database.dataSource, segments, gate, undefined as unknown as JobQueue);
    const card = (key: string, def: Record<string, unknown>) => ({
      key,
      name: key,
      description: '',
      owner: 'bench',
      refreshCadence: 'manual',
      kpi: null,
      status: 'active' as const,
      qualityThresholds: { minSize: 1, maxChurn: 10 },
      definition: def,
    });
    const refreshOnce = async (segmentId: string): Promise<{ ms: number; size: number }> => {
      const [run] = await query<{ id: string }>(
        `INSERT INTO segment_runs (segment_id, version, status, trigger) SELECT id, current_version, 'queued', 'manual' FROM segments WHERE id = $1 RETURNING id`,
        [segmentId],
      );
      let size = 0;
      const ms = await timeIt(async () => {
        const outcome = await refresh.execute(run.id, NOW);
        if (outcome.status !== 'succeeded') throw new Error(`refresh failed: ${outcome.error}`);
        size = outcome.size ?? 0;
      });
      return { ms, size };
    };

    const rfm = await segments.create(card('champions', { type: 'rfm', tiers: ['champions'], window: 'ever' }), null, NOW);
    const iv = await segments.create(card('win-back', { type: 'intent_value', cell: 'low_intent_high_value', window: 'ever' }), null, NOW);
    let clusterId = '';
    const fitMs = await timeIt(async () => {
      const created = await segments.create(
        card('rfm-k5', {
          type: 'cluster',
          window: 'ever',
          k: 5,
          cluster: 0,
          features: [{ source: 'recency_days' }, { source: 'frequency', log1p: true }, { source: 'monetary' }],
        }),
        null,
        NOW,
      );
      clusterId = created.id;
    });
    const rows: Record<string, string | number>[] = [
      { step: `import ${FILE} (CLI)`, ms: importMs, rows: events },
      { step: 'RFM scores, rank quintiles (ours)', ms: oursMs, rows: purchasers },
      { step: 'RFM scores, NTILE(5) (baseline)', ms: ntileMs, rows: purchasers },
    ];
    for (const [name, id] of [
      ['refresh RFM champions (first)', rfm.id],
      ['refresh RFM champions (again)', rfm.id],
      ['refresh intent×value win-back', iv.id],
      ['refresh k-means, stored model (first)', clusterId],
      ['refresh k-means, stored model (again)', clusterId],
    ] as const) {
      const { ms, size } = await refreshOnce(id);
      rows.push({ step: name, ms, rows: size });
    }
    rows.push({ step: 'k-means fit on create (k=5, 10 restarts, stability)', ms: fitMs, rows: purchasers });
    printTable(rows);
    console.log(`\nours / NTILE baseline: ${(oursMs / ntileMs).toFixed(2)}× (ours also never splits a tie group)`);
  } finally {
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
