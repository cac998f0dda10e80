import { createHmac } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { NotificationConfig, NotificationSender } from './notification-sender.service';

const SECRET = 'a-notification-secret-of-some-length';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1 answering `status()` and keeping what it was sent. */
async function receiver(status: () => number): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const code = status();
      if (code < 300) received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(code).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/audiencekit`, received };
}

/**
 * Operator notifications (issue #19): triggers write the outbox in the transaction that changes a
 * run's status; the sender POSTs each row (signed) through the guarded client and keeps it until
 * the receiver answers 2xx — a receiver that is down loses nothing.
 */
describe('notifications outbox and sender', () => {
  let db: TestDatabase;
  let segmentId: string;
  let activationId: string;
  const allowed = process.env.AK_OUTBOUND_ALLOWED_HOSTS;
  beforeAll(async () => {
    db = await createTestDatabase();
    [{ id: segmentId }] = await db.dataSource.query(
      `INSERT INTO segments (key, name, owner) VALUES ('vip', 'VIP customers', 'crm@example.com') RETURNING id`,
    );
    const [destination] = await db.dataSource.query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('ESP', 'webhook', '{}') RETURNING id`,
    );
    [{ id: activationId }] = await db.dataSource.query(
      `INSERT INTO activations (name, segment_id, destination_id, mode, holdout_share, holdout_salt, schedule)
       VALUES ('VIP to ESP', $1, $2, 'mirror', 0, 'salt', 'after_refresh') RETURNING id`,
      [segmentId, destination.id],
    );
  });
  afterAll(async () => {
    process.env.AK_OUTBOUND_ALLOWED_HOSTS = allowed;
    await db.drop();
  });
  beforeEach(async () => {
    await db.dataSource.query(`DELETE FROM notifications`);
  });

  const sender = (config: Partial<NotificationConfig>) =>
    new NotificationSender(db.dataSource, { AK_NOTIFY_MAX_AGE_HOURS: 24, AK_NOTIFY_WEBHOOK_SECRET: SECRET, ...config });
  const outbox = (): Promise<{ kind: string; status: string; attempts: number; last_error: string | null; payload: any }[]> =>
    db.dataSource.query(`SELECT kind, status, attempts, last_error, payload FROM notifications ORDER BY id`);

  async function syncRun(status: string, extra: { dryRun?: boolean; plan?: unknown } = {}): Promise<string> {
    const [run] = await db.dataSource.query(
      `INSERT INTO sync_runs (activation_id, segment_version, status, dry_run, trigger, plan) VALUES ($1, 1, $2, $3, 'after_refresh', $4::jsonb) RETURNING id`,
      [activationId, status, extra.dryRun ?? false, extra.plan ? JSON.stringify(extra.plan) : null],
    );
    return run.id;
  }

  async function segmentRun(
    status: 'succeeded' | 'failed',
    quality: Record<string, unknown> | null,
    size = 0,
    error: string | null = null,
  ) {
    const [run] = await db.dataSource.query(
      `INSERT INTO segment_runs (segment_id, version, status, trigger, queued_at) VALUES ($1, 1, 'running', 'schedule', now()) RETURNING id`,
      [segmentId],
    );
    const full = quality && { empty: false, notSubstantial: false, unstable: false, churn: 0, minSize: 100, maxChurn: 0.5, ...quality };
    await db.dataSource.query(
      `UPDATE segment_runs SET status = $2, quality = $3::jsonb, size = $4, error = $5, finished_at = clock_timestamp() WHERE id = $1`,
      [run.id, status, full ? JSON.stringify(full) : null, size, error],
    );
    return run.id as string;
  }

  it('records failed and held sync runs (whichever path held them), not dry runs or other statuses', async () => {
    const failing = await syncRun('running');
    await db.dataSource.query(
      `UPDATE sync_runs SET status = 'failed', errors = '[{"kind":"note","message":"removes skipped"},{"kind":"invalid_credentials","message":"the vendor refused the API key"}]' WHERE id = $1`,
      [failing],
    );
    const heldByDoor = await syncRun('awaiting_confirmation', {
      plan: { guard: { hold: true, reasons: ['12000 messages is above the mass-send threshold of 10000'] } },
    });
    const parked = await syncRun('queued');
    await db.dataSource.query(
      `UPDATE sync_runs SET status = 'awaiting_confirmation', plan = '{"guard":{"hold":true,"gates":["mass_removal"],"reasons":["250 removes"]}}' WHERE id = $1`,
      [parked],
    );
    const dry = await syncRun('running', { dryRun: true });
    await db.dataSource.query(`UPDATE sync_runs SET status = 'failed' WHERE id = $1`, [dry]);
    const fine = await syncRun('queued');
    await db.dataSource.query(`UPDATE sync_runs SET status = 'succeeded' WHERE id = $1`, [fine]);

    const rows = await outbox();
    expect(rows.map((row) => [row.kind, row.payload.syncRun.id])).toEqual([
      ['sync_run.failed', failing],
      ['sync_run.held', heldByDoor],
      ['sync_run.held', parked],
    ]);
    expect(rows[0].payload).toMatchObject({
      summary: 'Sync of "VIP customers" to activation "VIP to ESP" failed',
      segment: { id: segmentId, key: 'vip', name: 'VIP customers' },
      activation: { id: activationId, name: 'VIP to ESP', mode: 'mirror' },
      syncRun: { status: 'failed', trigger: 'after_refresh' },
      reasons: ['the vendor refused the API key'],
    });
    expect(rows[1].payload).toMatchObject({ gates: ['mass_send'], reasons: ['12000 messages is above the mass-send threshold of 10000'] });
    expect(rows[2].payload).toMatchObject({ gates: ['mass_removal'], reasons: ['250 removes'] });
  });

  it('records failed refreshes and refreshes outside the card thresholds: unstable each time, empty or small when newly so', async () => {
    const failed = await segmentRun('failed', null, 0, 'relation "orders" does not exist');
    await segmentRun('succeeded', { notSubstantial: true }, 40); // first run: newly small
    await segmentRun('succeeded', { notSubstantial: true }, 42); // still small: no news
    await segmentRun('succeeded', { notSubstantial: true, unstable: true, churn: 0.9 }, 80); // a swing
    const emptied = await segmentRun('succeeded', { notSubstantial: true, empty: true, unstable: true, churn: 1 }, 0);
    await segmentRun('succeeded', { notSubstantial: true, empty: true }, 0); // still empty: no news

    const rows = await outbox();
    expect(rows.map((row) => [row.kind, row.payload.flags ?? null])).toEqual([
      ['segment_refresh.failed', null],
      ['segment_refresh.quality', ['notSubstantial']],
      ['segment_refresh.quality', ['unstable']],
      ['segment_refresh.quality', ['empty', 'unstable']],
    ]);
    expect(rows[0].payload).toMatchObject({ segmentRun: { id: failed, status: 'failed' }, reasons: ['relation "orders" does not exist'] });
    expect(rows[3].payload).toMatchObject({
      summary: 'Segment "VIP customers" has 0 members after a refresh (empty, unstable)',
      segmentRun: { id: emptied, size: 0 },
      quality: { empty: true, churn: 1 },
      previousQuality: { empty: false },
    });
  });

  it('a receiver that is down loses nothing: retried with backoff until it answers 2xx, each POST signed', async () => {
    process.env.AK_OUTBOUND_ALLOWED_HOSTS = '127.0.0.1';
    let up = false;
    const hook = await receiver(() => (up ? 204 : 503));
    try {
      const failing = await syncRun('running');
      await db.dataSource.query(`UPDATE sync_runs SET status = 'failed' WHERE id = $1`, [failing]);
      const notify = sender({ AK_NOTIFY_WEBHOOK_URL: hook.url });

      await expect(notify.sendDue()).resolves.toEqual({ sent: 0, failed: 1, expired: 0 });
      const [pending] = await outbox();
      expect(pending).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 503' });
      // Not due again before its backoff...
      await expect(notify.sendDue()).resolves.toEqual({ sent: 0, failed: 0, expired: 0 });
      // ...which the test lets pass.
      up = true;
      await db.dataSource.query(`UPDATE notifications SET next_attempt_at = now()`);
      await expect(notify.sendDue()).resolves.toEqual({ sent: 1, failed: 0, expired: 0 });
      await expect(notify.sendDue()).resolves.toEqual({ sent: 0, failed: 0, expired: 0 });

      expect(hook.received).toHaveLength(1);
      const [{ headers, body }] = hook.received;
      const parsed = JSON.parse(body);
      expect(parsed).toMatchObject({ kind: 'sync_run.failed', attempt: 2, syncRun: { id: failing }, activation: { id: activationId } });
      expect(headers['x-audiencekit-notification-id']).toBe(parsed.id);
      const expected = createHmac('sha256', SECRET).update(`${headers['x-audiencekit-timestamp']}.${body}`).digest('hex');
      expect(headers['x-audiencekit-signature']).toBe(`sha256=${expected}`);
      expect((await outbox())[0]).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    } finally {
      hook.server.close();
    }
  });

  it('goes through the SSRF guard: a loopback receiver not in AK_OUTBOUND_ALLOWED_HOSTS is refused and the row kept', async () => {
    delete process.env.AK_OUTBOUND_ALLOWED_HOSTS;
    delete process.env.AK_WEBHOOK_ALLOWED_HOSTS;
    const hook = await receiver(() => 204);
    try {
      await segmentRun('failed', null, 0, 'boom');
      await expect(sender({ AK_NOTIFY_WEBHOOK_URL: hook.url }).sendDue()).resolves.toMatchObject({ sent: 0, failed: 1 });
      const [row] = await outbox();
      expect(row.status).toBe('pending');
      expect(row.last_error).toContain('AK_OUTBOUND_ALLOWED_HOSTS');
      expect(hook.received).toEqual([]);
    } finally {
      hook.server.close();
    }
  });

  it('without a webhook nothing is sent, and notifications older than AK_NOTIFY_MAX_AGE_HOURS expire', async () => {
    await segmentRun('failed', null, 0, 'boom');
    await expect(sender({}).sendDue()).resolves.toEqual({ sent: 0, failed: 0, expired: 0 });
    expect((await outbox())[0]).toMatchObject({ status: 'pending', attempts: 0 });
    await db.dataSource.query(`UPDATE notifications SET created_at = now() - interval '25 hours'`);
    await expect(sender({}).sendDue()).resolves.toEqual({ sent: 0, failed: 0, expired: 1 });
    expect((await outbox())[0].status).toBe('expired');
  });
});
