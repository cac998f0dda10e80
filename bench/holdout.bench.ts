/**
 * Holdout assignment speed: arms per second for N profile ids (default 10M random UUIDs), ours
 * (libs/experimentation: FNV-1a over UTF-8 + fmix32) against GrowthBook's bucketing (hash v2 =
 * FNV-1a twice with a number-to-string in between, as its SDK uses for new experiments; and the
 * legacy v1), in the same process on the same ids, each checked to give a ~10% control share.
 *
 *   npm run bench -- holdout               # 10,000,000 ids
 *   npm run bench -- holdout --ids=1000000 # quicker
 */
import { randomFillSync } from 'node:crypto';
import path from 'node:path';
import { assignArm, createHoldoutAssigner } from '@audiencekit/experimentation';
import { printTable, timeIt } from './lib/report';

const IDS = Number(argument('ids') ?? 10_000_000);
const CONTROL_SHARE = 0.1;
const SALT = 'activation-42';
const REPEATS = 3;

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

/** GrowthBook's bucketing helpers. They are internal to the SDK (not in its package "exports"), so
 * the compiled module is loaded by file path from the installed package. */
interface GrowthBookUtil {
  hash(seed: string, value: string, version: number): number | null;
  getBucketRanges(numVariations: number, coverage: number | undefined, weights?: number[]): [number, number][];
  chooseVariation(n: number, ranges: [number, number][]): number;
}

function loadGrowthBookUtil(): { util: GrowthBookUtil; version: string } {
  const packageJson = require.resolve('@growthbook/growthbook/package.json');
  const util = require(path.join(path.dirname(packageJson), 'dist/cjs/util.js')) as GrowthBookUtil;
  const { version } = require(packageJson) as { version: string };
  return { util, version };
}

/**
 * Random version-4 UUID strings, each a flat one-byte string of 36 characters, as a driver returns
 * them from Postgres. (`crypto.randomUUID()` builds each id by concatenation, and 10M of those
 * string trees do not fit in the default heap.)
 */
function randomUuids(count: number): string[] {
  const HEX = Buffer.from('0123456789abcdef', 'latin1');
  const DASHES = new Set([8, 13, 18, 23]);
  const bytes = Buffer.alloc(16 * 65_536);
  const text = Buffer.alloc(36);
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const slot = i % 65_536;
    if (slot === 0) randomFillSync(bytes);
    bytes[slot * 16 + 6] = (bytes[slot * 16 + 6] & 0x0f) | 0x40; // version 4
    bytes[slot * 16 + 8] = (bytes[slot * 16 + 8] & 0x3f) | 0x80; // RFC 4122 variant
    let nibble = 0;
    for (let position = 0; position < 36; position++) {
      if (DASHES.has(position)) {
        text[position] = 0x2d;
        continue;
      }
      const byte = bytes[slot * 16 + (nibble >> 1)];
      text[position] = HEX[nibble % 2 === 0 ? byte >> 4 : byte & 0x0f];
      nibble++;
    }
    ids[i] = text.toString('latin1');
  }
  return ids;
}

type Method = { name: string; countControl: (ids: string[]) => number };

function methods(growthBook: GrowthBookUtil): Method[] {
  const assigner = createHoldoutAssigner(SALT, CONTROL_SHARE);
  // Variation 0 = treatment (90%), 1 = control (10%); ranges computed once, as the SDK caches them per experiment.
  const ranges = growthBook.getBucketRanges(2, 1, [1 - CONTROL_SHARE, CONTROL_SHARE]);
  const growthBookCount = (version: number) => (ids: string[]) => {
    let control = 0;
    for (let i = 0; i < ids.length; i++) {
      if (growthBook.chooseVariation(growthBook.hash(SALT, ids[i], version) as number, ranges) === 1) control++;
    }
    return control;
  };
  return [
    {
      name: 'ours: createHoldoutAssigner().isControl',
      countControl: (ids) => {
        let control = 0;
        for (let i = 0; i < ids.length; i++) if (assigner.isControl(ids[i])) control++;
        return control;
      },
    },
    {
      name: 'ours: assignArm(salt, id, share)',
      countControl: (ids) => {
        let control = 0;
        for (let i = 0; i < ids.length; i++) if (assignArm(SALT, ids[i], CONTROL_SHARE) === 'control') control++;
        return control;
      },
    },
    { name: 'growthbook: hash v2 + chooseVariation', countControl: growthBookCount(2) },
    { name: 'growthbook: hash v1 + chooseVariation (legacy)', countControl: growthBookCount(1) },
  ];
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  if (!Number.isInteger(IDS) || IDS < 1000) throw new Error(`--ids must be an integer of at least 1000, got ${IDS}`);
  const { util, version } = loadGrowthBookUtil();
  console.log(
    `${IDS.toLocaleString('en-US')} random UUIDs, control share ${CONTROL_SHARE}, best of ${REPEATS} runs each; @growthbook/growthbook ${version}; node ${process.version}`,
  );
  const ids = randomUuids(IDS);
  const warmUp = ids.slice(0, 200_000);
  const candidates = methods(util);
  for (const method of candidates) method.countControl(warmUp); // JIT warm-up, not timed

  const best = new Map<string, { ms: number; control: number }>();
  // Interleave the methods across rounds so drift in machine load hits all of them alike.
  for (let round = 0; round < REPEATS; round++) {
    for (const method of candidates) {
      collectGarbage();
      let control = 0;
      const ms = await timeIt(() => (control = method.countControl(ids)));
      const previous = best.get(method.name);
      if (!previous || ms < previous.ms) best.set(method.name, { ms, control });
    }
  }

  const rows = candidates.map(({ name }) => {
    const { ms, control } = best.get(name) as { ms: number; control: number };
    return {
      method: name,
      ids: IDS,
      ms: Math.round(ms),
      'assignments/s': Math.round(IDS / (ms / 1000)),
      'control share': (control / IDS).toFixed(4),
    };
  });
  printTable(rows);
  const rate = (name: string) => IDS / ((best.get(name) as { ms: number }).ms / 1000);
  const ours = rate(candidates[0].name);
  const theirs = rate(candidates[2].name);
  console.log(`\nratio ours (precomputed assigner) / growthbook v2: ${(ours / theirs).toFixed(2)}× (target ≥ 1)`);
  console.log(`ratio ours (assignArm) / growthbook v2: ${(rate(candidates[1].name) / theirs).toFixed(2)}×`);
  if (ours < theirs) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
