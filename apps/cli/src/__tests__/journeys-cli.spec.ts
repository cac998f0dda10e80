import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { CliUsageException } from '../database';
import {
  journeysList,
  journeysReport,
  journeysShow,
  JourneyServices,
  openJourneysContext,
  playsCreate,
} from '../journeys/journey-commands';
import { EXIT } from '../ops/ops-commands';

const ROOT = path.resolve(__dirname, '../../../..');

/**
 * `plays create`, `journeys list` and `journeys show` (issue #23) over a real Postgres with the
 * registry's real connectors (Twilio sends, Meta keeps an ads audience): the same services as
 * `POST /plays` and `GET /journeys`.
 */
describe('CLI journeys and plays', () => {
  let db: TestDatabase;
  let services: JourneyServices;
  let lines: string[];
  const print = (line: string) => lines.push(line);

  beforeAll(async () => {
    db = await createTestDatabase();
    services = await openJourneysContext(db.url);
    for (const key of ['intent', 'value']) {
      const [segment] = await db.dataSource.query(
        `INSERT INTO segments (key, name, owner, refresh_cadence, current_version) VALUES ($1, $1, 'crm', 'manual', 1) RETURNING id`,
        [key],
      );
      await db.dataSource.query(`INSERT INTO segment_versions (segment_id, version, definition) VALUES ($1, 1, $2)`, [
        segment.id,
        { type: 'rules', match: { type: 'trait', trait: key, operator: 'exists' } },
      ]);
    }
    await db.dataSource.query(
      `INSERT INTO destinations (name, connector, settings) VALUES ('sms', 'twilio', '{}'), ('meta', 'meta-ads', '{}')`,
    );
  }, 120_000);

  beforeEach(() => {
    lines = [];
  });

  afterAll(async () => {
    await services?.close();
    await db?.drop();
  });

  const options = {
    intent: 'intent',
    value: 'value',
    owned: 'sms',
    retargeting: 'meta',
    'win-back': 'sms',
    'paid-media': 'meta',
    offers: '5% off | 10% off | 20% off',
    'wait-days': '4',
  };

  it('plays create prints what it made; journeys list and show print the win-back journey', async () => {
    expect(await playsCreate(services, print, options)).toBe(EXIT.ok);
    expect(lines).toEqual([
      expect.stringMatching(/^segment intent_x_value_hi_hv \(.+\): high_intent_high_value$/),
      expect.stringMatching(/^segment intent_x_value_hi_lv \(.+\): high_intent_low_value$/),
      expect.stringMatching(/^segment intent_x_value_li_hv \(.+\): low_intent_high_value$/),
      expect.stringMatching(/^segment intent_x_value_li_lv \(.+\): low_intent_low_value$/),
      expect.stringMatching(/^activation .+ owned_send: /),
      expect.stringMatching(/^activation .+ retargeting: /),
      'paid-media exclusion: 1 activation(s) now exclude intent_x_value_li_lv',
      'no frequency cap: the retargeting channel is ads (set the frequency in the vendor campaign)',
      expect.stringMatching(/^journey intent_x_value_winback \(.+\): draft/),
    ]);

    lines = [];
    expect(await journeysList(services, print)).toBe(EXIT.ok);
    expect(lines).toEqual([
      expect.stringMatching(
        /^intent_x_value_winback {2}draft {2}v1 {2}entry intent_x_value_li_hv {2}entered 0 {2}in flight 0 {2}goal reached 0 {2}"/,
      ),
    ]);

    lines = [];
    expect(await journeysShow(services, print, 'intent_x_value_winback')).toBe(EXIT.ok);
    expect(lines[0]).toMatch(/^journey intent_x_value_winback \(.+\) ".+": draft, version 1$/);
    expect(lines[2]).toMatch(/goal Order Completed within 19 days; holdout 0\.1$/);
    expect(lines.slice(3)).toEqual([
      expect.stringMatching(/^ {2}1\. offer_1 send .*"text":"We miss you! Come back for 5% off\."/),
      '  2. wait_1 wait {"seconds":345600}',
      expect.stringMatching(/^ {2}3\. offer_2 send .*10% off/),
      '  4. wait_2 wait {"seconds":345600}',
      expect.stringMatching(/^ {2}5\. offer_3 send .*20% off/),
    ]);
  });

  it('journeys report prints the totals, a line per step and why there is no lift yet', async () => {
    expect(await journeysReport(services, print, 'intent_x_value_winback')).toBe(EXIT.ok);
    expect(lines[0]).toMatch(/^journey intent_x_value_winback v1, goal Order Completed within 19 days, as of /);
    expect(lines[1]).toBe('entered 0 (treatment 0, control 0, global holdout 0), in flight 0, goal reached 0, completed 0, exited 0');
    expect(lines.slice(2, 7).map((line) => line.split(':')[0])).toEqual([
      '  offer_1 send',
      '  wait_1 wait',
      '  offer_2 send',
      '  wait_2 wait',
      '  offer_3 send',
    ]);
    expect(lines[7]).toMatch(/^lift: not available \(.+\)$/);
  });

  it('a bad option is a usage error naming its field; nothing is written', async () => {
    const before = await db.dataSource.query(`SELECT count(*)::int AS n FROM segments`);
    await expect(playsCreate(services, print, { ...options, key: 'second', 'wait-days': 'soon' })).rejects.toThrow(CliUsageException);
    await expect(playsCreate(services, print, { ...options, key: 'second', 'wait-days': 'soon' })).rejects.toThrow(/^waitDays /);
    await expect(playsCreate(services, print, { ...options, key: 'second', owned: 'meta' })).rejects.toThrow(/destinations\.owned/);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM segments`)).toEqual(before);
  });

  it('as a process: journeys show of an unknown journey exits 1 naming it', async () => {
    const failed = await promisify(execFile)(
      process.execPath,
      ['-r', '@swc-node/register', path.join(ROOT, 'apps/cli/src/main.ts'), 'journeys', 'show', 'nope'],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url } },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('no journey nope') });
  }, 120_000);
});
