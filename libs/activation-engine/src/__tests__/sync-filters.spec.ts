import { InvalidCredentialsError } from '@audiencekit/connector-sdk';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { SecretBox } from '@audiencekit/server-core';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { z } from 'zod';
import { buildEngine, recordingConnector, seedActivation, seedSegment, setGlobalHoldout, syncNow } from './sync-fixtures';

/**
 * The filters in their order — global holdout, activation holdout, suppression and consent,
 * identifiers — each counted; and the dry run, which returns that itemised plan and sends nothing.
 */
describe('sync filters and dry run', () => {
  let db: TestDatabase;
  let ids: string[];
  let segmentId: string;
  const GLOBAL_SALT = 'global-filters';

  /** What each member must end as, computed independently of the engine. */
  let expected: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ segmentId, profileIds: ids } = await seedSegment(db.dataSource, 400));
    await setGlobalHoldout(db.dataSource, 0.1, GLOBAL_SALT);
    // Suppressed by list (email, channel 'email' and 'all'), by trait, by consent, deleted profile;
    // invalid: no email, malformed email. Profiles chosen among those outside both holdouts below.
    const global = createHoldoutAssigner(GLOBAL_SALT, 0.1);
    const control = createHoldoutAssigner('filters-salt', 0.2);
    expected = {};
    for (const id of ids) expected[id] = global.isControl(id) ? 'heldOutGlobal' : control.isControl(id) ? 'heldOutActivation' : 'eligible';
    const treated = ids.filter((id) => expected[id] === 'eligible');
    const [listEmail, listAll, listSms, unsubscribed, noConsent, smsNoConsent, deleted, noEmail, badEmail] = treated;
    await db.dataSource.query(
      `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) SELECT 'email', value, 'email', 'unsubscribed' FROM identities WHERE profile_id = $1 AND type = 'email'`,
      [listEmail],
    );
    await db.dataSource.query(
      `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) SELECT 'phone', value, 'all', 'STOP' FROM identities WHERE profile_id = $1 AND type = 'phone'`,
      [listAll],
    );
    // An SMS-only suppression does not stop e-mail.
    await db.dataSource.query(
      `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) SELECT 'phone', value, 'sms', 'STOP' FROM identities WHERE profile_id = $1 AND type = 'phone'`,
      [listSms],
    );
    await db.dataSource.query(`UPDATE profiles SET traits = traits || '{"unsubscribed": true}' WHERE id = $1`, [unsubscribed]);
    await db.dataSource.query(`UPDATE profiles SET traits = traits || '{"consent": {"email": false}}' WHERE id = $1`, [noConsent]);
    await db.dataSource.query(`UPDATE profiles SET traits = traits || '{"consent": {"sms": false}}' WHERE id = $1`, [smsNoConsent]);
    await db.dataSource.query(`UPDATE profiles SET deleted_at = now() WHERE id = $1`, [deleted]);
    await db.dataSource.query(`DELETE FROM identities WHERE profile_id = $1 AND type = 'email'`, [noEmail]);
    await db.dataSource.query(`UPDATE identities SET value = 'not-an-email' WHERE profile_id = $1 AND type = 'email'`, [badEmail]);
    for (const id of [listEmail, listAll, unsubscribed, noConsent, deleted]) expected[id] = 'suppressed';
    for (const id of [noEmail, badEmail]) expected[id] = 'invalid';
    // A globally held-out member that is also suppressed counts as held out (the first filter wins).
    const [heldAndSuppressed] = ids.filter((id) => expected[id] === 'heldOutGlobal');
    await db.dataSource.query(`UPDATE profiles SET traits = traits || '{"unsubscribed": true}' WHERE id = $1`, [heldAndSuppressed]);
  });
  afterAll(async () => {
    await setGlobalHoldout(db.dataSource, 0);
    await db.drop();
  });

  const count = (verdict: string) => Object.values(expected).filter((value) => value === verdict).length;
  const having = (verdict: string) => ids.filter((id) => expected[id] === verdict);

  it('a dry run returns the itemised plan with samples, and sends nothing', async () => {
    const connector = recordingConnector({ slug: 'filters-dry' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'filters-dry',
      mode: 'mirror',
      holdoutShare: 0.2,
      salt: 'filters-salt',
    });
    const run = await engine.service.dryRun(activationId, { sampleSize: 3 });
    expect(connector.calls).toEqual([]);
    expect(run).toMatchObject({ dryRun: true, status: 'succeeded' });
    expect(run.counts).toMatchObject({
      considered: 400,
      heldOutGlobal: count('heldOutGlobal'),
      heldOutActivation: count('heldOutActivation'),
      suppressed: count('suppressed'),
      invalid: count('invalid'),
      eligible: count('eligible'),
    });
    const plan = run.plan as { adds: number; removes: number; samples: Record<string, { profileId: string; reason?: string }[]> };
    expect(plan.adds).toBe(count('eligible'));
    expect(plan.samples['adds']).toHaveLength(3);
    expect(plan.samples['suppressed']).toHaveLength(3);
    for (const sample of plan.samples['invalid']) expect(having('invalid')).toContain(sample.profileId);
    for (const sample of plan.samples['heldOutGlobal']) expect(sample).toEqual({ profileId: expect.any(String), reason: 'global holdout' });
    expect(plan.samples['invalid'].map((sample) => sample.reason).sort()).toEqual(['malformed email', 'no email']);
    // Nothing written: no member state, no exposures.
    expect(
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM activation_members WHERE activation_id = $1`, [activationId]))[0].n,
    ).toBe(0);
    expect(
      (await db.dataSource.query(`SELECT count(*)::int AS n FROM activation_exposures WHERE activation_id = $1`, [activationId]))[0].n,
    ).toBe(0);
  });

  it('a real run sends exactly the eligible members, counts every stage, and exposes both holdouts', async () => {
    const connector = recordingConnector({ slug: 'filters-real', audienceSize: 4242 });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'filters-real',
      mode: 'mirror',
      holdoutShare: 0.2,
      salt: 'filters-salt',
    });
    const { run } = await syncNow(engine, activationId);
    expect(connector.received().sort()).toEqual(having('eligible').sort());
    expect(run.counts).toMatchObject({
      considered: 400,
      heldOutGlobal: count('heldOutGlobal'),
      heldOutActivation: count('heldOutActivation'),
      suppressed: count('suppressed'),
      invalid: count('invalid'),
      added: count('eligible'),
      audienceSize: 4242,
    });
    const arms = await db.dataSource.query(
      `SELECT arm, count(*)::int AS n FROM activation_exposures WHERE activation_id = $1 GROUP BY arm ORDER BY arm`,
      [activationId],
    );
    expect(arms).toEqual([
      { arm: 'control', n: count('heldOutActivation') },
      { arm: 'global_holdout', n: count('heldOutGlobal') },
      { arm: 'treatment', n: count('eligible') },
    ]);
  });

  it('suppression applies per channel: an SMS connector skips the STOP numbers and the sms no-consent profile', async () => {
    const connector = recordingConnector({ slug: 'filters-sms', deliveryModel: 'send', channel: 'sms' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'filters-sms',
      mode: 'send',
      holdoutShare: 0.2,
      salt: 'filters-salt',
    });
    const { run } = await syncNow(engine, activationId);
    const treated = ids.filter((id) => expected[id] !== 'heldOutGlobal' && expected[id] !== 'heldOutActivation');
    const [listEmail, listAll, listSms, unsubscribed, noConsent, smsNoConsent, deleted, noEmail, badEmail] = treated;
    const received = new Set(connector.received());
    for (const id of [listAll, listSms, unsubscribed, smsNoConsent, deleted]) expect(received.has(id)).toBe(false);
    // E-mail problems do not matter to an SMS connector.
    for (const id of [listEmail, noConsent, noEmail, badEmail]) expect(received.has(id)).toBe(true);
    expect(run.counts.suppressed).toBe(5);
  });

  it('opens sealed secrets with AK_SECRETS_KEYS and refuses a run whose secrets cannot be opened', async () => {
    const keys = SecretBox.generateKey('k1');
    const seen: unknown[] = [];
    const base = recordingConnector({ slug: 'filters-secret' });
    const definition = {
      ...base.definition,
      secrets: z.object({ apiKey: z.string() }),
      upsert: async (ctx: { secrets: unknown }, members: readonly { profileId: string }[]) => {
        seen.push(ctx.secrets);
        return members.map((member) => ({ profileId: member.profileId, status: 'delivered' as const }));
      },
    };
    const { activationId, destinationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'filters-secret',
      mode: 'add_only',
      holdoutShare: 0.2,
      salt: 'filters-salt',
    });
    const sealed = new SecretBox(keys).seal(JSON.stringify({ apiKey: 'sk-test-123' }));
    await db.dataSource.query(`UPDATE destinations SET secrets_ciphertext = $2, secrets_key_id = $3 WHERE id = $1`, [
      destinationId,
      sealed.ciphertext,
      sealed.keyId,
    ]);

    const withoutKeys = await syncNow(buildEngine(db.dataSource, [definition]), activationId);
    expect(withoutKeys.run.status).toBe('failed');
    expect(withoutKeys.run.errors).toEqual([
      expect.objectContaining({ kind: 'bad_secrets', message: expect.stringMatching(/AK_SECRETS_KEYS/) }),
    ]);

    const { run } = await syncNow(buildEngine(db.dataSource, [definition], {}, { AK_SECRETS_KEYS: keys }), activationId);
    expect(run.status).toBe('succeeded');
    expect(seen[0]).toEqual({ apiKey: 'sk-test-123' });

    // A plugin that echoes the key in its error: the run record never holds the secret.
    const leaky = {
      ...definition,
      upsert: async () => {
        throw new InvalidCredentialsError('key sk-test-123 was revoked');
      },
    };
    await db.dataSource.query(`DELETE FROM activation_members WHERE activation_id = $1`, [activationId]);
    const refused = await syncNow(buildEngine(db.dataSource, [leaky], {}, { AK_SECRETS_KEYS: keys }), activationId);
    expect(refused.run.status).toBe('failed');
    expect(JSON.stringify(refused.run.errors)).not.toContain('sk-test-123');
    expect(refused.run.errors).toEqual([
      expect.objectContaining({ kind: 'invalid_credentials', message: expect.stringContaining('key [redacted] was revoked') }),
    ]);
  });
});
