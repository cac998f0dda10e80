import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_RFM_TIERS, EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { waitUntil } from '@audiencekit/testing';

// `npm start` end to end, exactly as a newcomer runs it: no DATABASE_URL, so an embedded Postgres
// starts from the npm package, the API migrates it, demo data loads, the worker comes up.

const ROOT = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// Every npm start a test launched, stopped after each test even when an expectation failed.
const launched: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(
    launched
      .splice(0)
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map(stop),
  );
});

function launch(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
} {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [path.join(ROOT, 'tools/launch/start.mjs')], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launched.push(child);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  // A deadline, not a timing assertion: on a 2-core machine shared with other test runs (load 17),
  // a first start took 94 s to ready, before the demo activation existed.
  const waitFor = (re: RegExp, timeoutMs = 180_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const match = text.match(re);
        if (match) {
          clearInterval(poll);
          resolve(match);
        } else if (child.exitCode !== null || Date.now() - started > timeoutMs) {
          clearInterval(poll);
          reject(new Error(`never saw ${re}:\n${text}`));
        }
      }, 50);
    });
  return { child, output: () => text, waitFor };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('npm start (embedded default)', () => {
  let dataRoot: string;
  beforeAll(() => {
    dataRoot = mkdtempSync(path.join(os.tmpdir(), 'audiencekit-start-'));
    chmodSync(dataRoot, 0o755);
  });
  afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

  it('starts everything on an embedded Postgres, keeps the data across restarts, and reports not-ready when Postgres stops', async () => {
    const env = { AK_DATA_DIR: dataRoot, PORT: String(await freePort()), AK_EMBEDDED_PG_PORT: String(await freePort()) };

    const first = launch(env);
    const [, url] = await first.waitFor(/running at (\S+)/);
    expect(first.output()).toMatch(/demo admin API key \(shown once, stored hashed\): ak_adm_/);
    expect(first.output()).toMatch(/demo orders shifted by [\d,]+ days \(newest order 2011-12-09 12:50 → /);
    expect(first.output()).toMatch(/demo orders: +events stored +28,000/);
    expect(first.output()).toMatch(
      /demo segments: cart-abandoner, vip, win-back-candidate, champions, at-risk-high-value \(refresh queued\)/,
    );
    expect(first.output()).toMatch(/demo browsing: 100 synthetic Product Viewed \/ Product Added events/);
    expect(await (await fetch(`${url}/ready`)).json()).toEqual({ ready: true, database: 'up', migrations: 'up-to-date' });
    // The real-time demo segment fills from its tracked views through the worker, with no refresh.
    await first.waitFor(/real-time demo segment: browsing-now \(3 product views tracked\)/);
    const adminKey = (first.output().match(/demo admin API key \(shown once, stored hashed\): (\S+)/) as RegExpMatchArray)[1];
    const headers = { authorization: `Bearer ${adminKey}` };
    const list = (await (await fetch(`${url}/segments?limit=100`, { headers })).json()) as {
      items: { id: string; key: string; refreshCadence: string }[];
    };
    const browsing = list.items.find((item) => item.key === 'browsing-now');
    expect(browsing?.refreshCadence).toBe('realtime');
    await waitUntil(async () => {
      const feed = (await (await fetch(`${url}/segments/${browsing?.id}/changes?limit=10`, { headers })).json()) as {
        size: number;
        items: { change: string; cause: string }[];
      };
      return feed.size === 3 && feed.items.every((item) => item.change === 'added' && item.cause === 'realtime');
    }, 30_000);

    // Every seed segment and every default RFM tier has members after its first refresh (nine tiers are created after ready).
    await first.waitFor(
      /demo RFM tier segments: loyal, potential-loyalist, new, promising, needs-attention, about-to-sleep, at-risk, hibernating, low-value-dormant/,
      120_000,
    );
    const segments = (await (await fetch(`${url}/segments?limit=100`, { headers })).json()) as typeof list;
    const demoKeys = [
      ...Object.values(EXAMPLE_SEGMENTS).map((example) => example.key),
      ...DEFAULT_RFM_TIERS.map((tier) => tier.key.replace(/_/g, '-')),
    ];
    const sizes = new Map<string, number | null>();
    await waitUntil(async () => {
      for (const key of demoKeys.filter((name) => !sizes.has(name))) {
        const id = segments.items.find((item) => item.key === key)?.id;
        const runs = (await (await fetch(`${url}/segments/${id}/runs?limit=1`, { headers })).json()) as {
          items: { status: string; size: number | null }[];
        };
        if (runs.items[0]?.status === 'succeeded') sizes.set(key, runs.items[0].size);
      }
      return sizes.size === demoKeys.length;
    }, 180_000);
    expect(demoKeys.filter((key) => !((sizes.get(key) ?? 0) > 0))).toEqual([]);

    // The demo activation: delivered to the local receiver, then its dry run and lift report answer with data.
    const lift = await first.waitFor(/demo lift report: .* GET \/activations\/(\S+)\/lift/, 180_000);
    expect(first.output()).toMatch(/demo webhook receiver: segment\.entered with \d+ member/);
    expect(first.output()).toMatch(/demo conversions: \d+ SYNTHETIC Order Completed events/);
    const dryRun = await fetch(`${url}/activations/${lift[1]}/dry-run`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(dryRun.status).toBe(200);
    const { counts } = (await dryRun.json()) as { counts: Record<string, number> };
    expect(counts.considered).toBeGreaterThan(0);
    expect(counts.heldOutActivation).toBeGreaterThan(0);
    const { report } = (await (await fetch(`${url}/activations/${lift[1]}/lift`, { headers })).json()) as {
      report: { arms: Record<'treatment' | 'control', { members: number; conversions: number }>; conversion: { absoluteLift: unknown } };
    };
    expect(report.arms.treatment.members).toBeGreaterThan(0);
    expect(report.arms.control.members).toBeGreaterThan(0);
    expect(report.arms.treatment.conversions).toBeGreaterThan(0);
    expect(report.conversion.absoluteLift).not.toBeNull();

    // The richer segment language (issue #20), after the activation: every demo trait has values and
    // every demo segment members after its first refresh (the embedded server lets SQL traits run).
    await first.waitFor(/demo segment repeat-buyers-de-fr \(.*\): [\d,]+ members/, 180_000);
    expect(first.output()).toMatch(/demo context: 60 synthetic page views by 36 customers/);
    expect(first.output()).not.toMatch(/refused by the API|demo SQL trait skipped/);
    const languageKeys = [
      'high-spenders-90d',
      'viewed-added-ordered',
      'lapsed-buyer',
      'regular-buyer',
      'germany-pricing-visitors',
      'london-store-catchment',
      'winter-sale-on-mobile',
      'repeat-buyers-de-fr',
    ];
    const withLanguage = (await (await fetch(`${url}/segments?limit=100`, { headers })).json()) as typeof list;
    const languageSizes: Record<string, number | null | undefined> = {};
    for (const key of languageKeys) {
      const id = withLanguage.items.find((item) => item.key === key)?.id;
      const runs = (await (await fetch(`${url}/segments/${id}/runs?limit=1`, { headers })).json()) as {
        items: { status: string; size: number | null }[];
      };
      languageSizes[key] = runs.items[0]?.status === 'succeeded' ? runs.items[0].size : undefined;
    }
    expect(Object.entries(languageSizes).filter(([, size]) => !((size ?? 0) > 0))).toEqual([]);
    const values = async (key: string) =>
      ((await (await fetch(`${url}/computed-traits/${key}/values?limit=5`, { headers })).json()) as { values: { value: unknown }[] })
        .values;
    expect((await values('spend_90d')).every((entry) => typeof entry.value === 'number')).toBe(true);
    expect(await values('spend_90d')).toHaveLength(5);
    expect((await values('last_viewed_product')).every((entry) => typeof entry.value === 'string')).toBe(true);
    expect(await values('last_viewed_product')).toHaveLength(5);
    const sqlTrait = (await (await fetch(`${url}/sql-traits/order_history`, { headers })).json()) as {
      lastRun: { status: string; values: { upserted: number } };
    };
    expect(sqlTrait.lastRun.status).toBe('succeeded');
    expect(sqlTrait.lastRun.values.upserted).toBeGreaterThan(0);

    // Orchestration and quizzes (issues #23, #24), after the language demo.
    const quiz = await first.waitFor(
      /demo quiz shopping_style: (\d+) submissions from (\d+) people; segment price-sensitive-quiz previews (\d+) members/,
      60_000,
    );
    expect([quiz[1], quiz[2], quiz[3]]).toEqual(['3', '3', '2']);
    // Text signals (issue #24): demo reviews scored by the worker, traits over their signals, and the
    // price-sensitive detractors (tools/demo/demo-text-signals.spec.ts says which four and why).
    const signals = await first.waitFor(
      /demo text signals: (\d+) synthetic reviews scored by the worker .* segment price-sensitive-detractors previews (\d+) members/,
      60_000,
    );
    expect([signals[1], signals[2]]).toEqual(['9', '4']);
    const priority = (
      first
        .output()
        .match(
          /demo priority list vip_first: vip (\d+) members, (\d+) exclusive; champions (\d+) members, (\d+) exclusive/,
        ) as RegExpMatchArray
    )
      .slice(1)
      .map(Number);
    expect(priority[0]).toBeGreaterThan(0);
    expect(priority[1]).toBe(priority[0]); // the first entry keeps all its members
    expect(priority[3]).toBeLessThan(priority[2]); // champions who are VIPs belong to the VIP entry only
    // Every win-back candidate delivered by the demo sync is low-value dormant: the mirror would remove them.
    const excluded = first.output().match(/demo exclusion: .* would remove (\d+) delivered members/) as RegExpMatchArray;
    expect(Number(excluded[1])).toBeGreaterThan(0);
    expect(first.output()).toMatch(/demo frequency cap: "one e-mail a day" \(at most 1 message on email in 24 h/);

    // The seed's four plays (issue #23): POST /plays, the win-back journey run by the worker over SMS.
    await first.waitFor(
      /demo plays cart-abandoner × vip: quadrants \S+_hi_hv, \S+_hi_lv, \S+_li_hv, \S+_li_lv; activations owned_send, retargeting, paid_media_exclusion/,
      120_000,
    );
    const sends = (
      await first.waitFor(
        /demo win-back steps: offer_1 sent (\d+), capped (\d+); offer_2 sent (\d+), capped (\d+); offer_3 sent (\d+), capped (\d+)/,
        120_000,
      )
    )
      .slice(1)
      .map(Number);
    const entries = (
      first.output().match(/demo win-back journey \S+ live .*: (\d+) entries \(treatment (\d+), control (\d+)\)/) as RegExpMatchArray
    )
      .slice(1)
      .map(Number);
    expect(entries[1]).toBeGreaterThan(0);
    expect(entries[2]).toBeGreaterThan(0);
    expect(entries[0]).toBe(entries[1] + entries[2]);
    expect(sends[0]).toBeGreaterThan(0);
    expect(sends[2]).toBeLessThan(sends[0]); // converted entries got no second offer
    expect(sends[5]).toBeGreaterThan(0); // the champions among them reached the SMS cap at the third
    const goal = first.output().match(/demo win-back goal reached: (\d+) entries/) as RegExpMatchArray;
    expect(Number(goal[1])).toBeGreaterThan(0);
    // Read at the vendor: every offer sent reached a treated entry's number, none a control entry's.
    const received = (
      await first.waitFor(/demo win-back control: (\d+) entries, (\d+) offers received by them; treated entries received (\d+)/, 30_000)
    )
      .slice(1)
      .map(Number);
    expect(received).toEqual([entries[2], 0, sends[0] + sends[2] + sends[4]]);
    const receiver = (first.output().match(/demo webhook receiver listening on (\S+)/) as RegExpMatchArray)[1];
    expect(await stop(first.child)).toBe(0);

    const second = launch(env);
    await second.waitFor(/running at/);
    expect(second.output()).toMatch(/demo data already loaded/);
    expect(second.output()).not.toMatch(/demo admin API key/);
    // The stored destination still reaches the receiver: same port and secret after a restart.
    expect((await second.waitFor(/demo webhook receiver listening on (\S+)/))[1]).toBe(receiver);

    // Stop Postgres underneath the running API (fast shutdown of the postmaster): readiness turns red.
    const postmasterPid = Number(readFileSync(path.join(dataRoot, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmasterPid, 'SIGINT');
    await second.waitFor(/embedded Postgres stopped/);
    expect(second.output()).toContain(
      `[audiencekit] embedded Postgres stopped: ${path.join(dataRoot, 'postgres')}: it exited (code 0). Set DATABASE_URL=postgres://… to use your own server.\n`,
    );
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, database: 'down' });
    expect((await fetch(`${url}/health`)).status).toBe(200);
    await stop(second.child);
  }, 600_000);
});

describe('npm start when the embedded Postgres cannot start', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'audiencekit-start-fail-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('prints one line naming the folder, the reason and DATABASE_URL, with no stack trace, and exits 1', async () => {
    // A data folder below a plain file cannot be created, not even by root (ENOTDIR), like a read-only disk.
    const plainFile = path.join(scratch, 'not-a-folder');
    writeFileSync(plainFile, '');
    const started = launch({
      AK_DATA_DIR: path.join(plainFile, 'data'),
      PORT: String(await freePort()),
      AK_EMBEDDED_PG_PORT: String(await freePort()),
    });
    const code = await new Promise<number | null>((resolve) => started.child.once('exit', (exitCode) => resolve(exitCode)));

    expect(code).toBe(1);
    const progress = /^\[audiencekit\] (building the admin console…|stopping…)$/;
    expect(
      started
        .output()
        .split('\n')
        .filter((line) => line !== '' && !progress.test(line)),
    ).toEqual([
      `[audiencekit] embedded Postgres cannot start: ${path.join(plainFile, 'data')}: a part of this path is a file, not a folder (ENOTDIR). Set DATABASE_URL=postgres://… to use your own server.`,
    ]);
    expect(started.output()).not.toMatch(/^\s+at /m);
  }, 60_000);
});
