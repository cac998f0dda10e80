/**
 * The cost of frequency caps on the send path (issue #23): `reserveSends`, the one transaction
 * per send batch that writes the send ledger and, when a cap applies, locks the batch's profiles
 * and counts their ledger within each cap's window. Baseline (same process): the ledger write
 * alone (no cap on the channel, `locked: false`), which every send batch pays anyway.
 *
 *   npm run bench -- frequency-caps                       # 200 batches of 500 members
 *   options: --batches=200 --batch=500 --history=3         (ledger rows per profile before the run)
 */
import { randomUUID } from 'node:crypto';
import { reserveSends } from '@audiencekit/activation-engine';
import { createBenchDatabase } from './lib/bench-database';
import { printTable, timeIt } from './lib/report';

const BATCHES = Number(argument('batches') ?? 200);
const BATCH = Number(argument('batch') ?? 500);
const HISTORY = Number(argument('history') ?? 3);

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
}

async function main(): Promise<void> {
  const db = await createBenchDatabase('frequency_caps');
  try {
    const profiles: string[] = (
      await db.dataSource.query(`SELECT gen_random_uuid() AS id FROM generate_series(1, $1)`, [BATCHES * BATCH])
    ).map((row: { id: string }) => row.id);
    const batches = Array.from({ length: BATCHES }, (_, i) => profiles.slice(i * BATCH, (i + 1) * BATCH));
    // History: HISTORY earlier messages per profile in the last days, on sms and email.
    await db.dataSource.query(
      `INSERT INTO send_ledger (profile_id, delivery_key, channel, sent_at)
       SELECT p, 'earlier:' || g || ':' || p, CASE WHEN g % 2 = 0 THEN 'sms' ELSE 'email' END, now() - make_interval(hours => 10 * g)
       FROM unnest($1::uuid[]) p, generate_series(1, $2::int) g`,
      [profiles, HISTORY],
    );
    await db.dataSource.query(`ANALYZE send_ledger`);
    const run = async (label: string, locked: boolean) => {
      const activation = randomUUID();
      const ms = await timeIt(async () => {
        for (const batch of batches)
          await reserveSends(db.dataSource, {
            channel: 'sms',
            activationId: activation,
            runId: activation,
            sends: batch.map((profileId) => ({ profileId, deliveryKey: `${activation}:${profileId}` })),
            locked,
          });
      });
      return { label, ms };
    };
    const baseline = await run('ledger only (no cap on the channel)', false);
    await db.dataSource.query(
      `INSERT INTO frequency_caps (name, channel, max_messages, window_hours) VALUES ('daily sms', 'sms', 100, 24), ('weekly all', 'all', 100, 168)`,
    );
    const capped = await run('locked + 2 caps counted (first sends: lock rows created)', true);
    // Two callers reserving the same profiles at once (two activations racing): each waits for the other's locks.
    const contended = await timeIt(async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      await Promise.all(
        [a, b].map(async (activation) => {
          for (const batch of batches)
            await reserveSends(db.dataSource, {
              channel: 'sms',
              activationId: activation,
              runId: activation,
              sends: batch.map((profileId) => ({ profileId, deliveryKey: `${activation}:${profileId}` })),
              locked: true,
            });
        }),
      );
    });
    const members = BATCHES * BATCH;
    const rows = [
      baseline,
      capped,
      { label: 'locked + 2 caps, 2 callers racing on the same profiles (wall time / 2)', ms: contended / 2 },
    ].map((row) => ({
      case: row.label,
      'ms / batch': row.ms / BATCHES,
      'ms / 1,000 members': (row.ms / members) * 1000,
      'vs baseline': row.ms / baseline.ms,
    }));
    console.log(`${BATCHES} batches of ${BATCH} send members, ${HISTORY} ledger rows per profile before the run`);
    printTable(rows);
  } finally {
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
