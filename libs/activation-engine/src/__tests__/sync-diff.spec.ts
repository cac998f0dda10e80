import { InvalidCredentialsError, RecordOutcome } from '@audiencekit/connector-sdk';
import { createHoldoutAssigner } from '@audiencekit/experimentation';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { addMembers, buildEngine, recordingConnector, removeMembers, seedActivation, seedSegment, syncNow } from './sync-fixtures';

/**
 * The diff against what the destination holds: mirror adds and removes, add-only only adds, send
 * sends once per member ever; a second run after 1% churn sends exactly the changes.
 */
describe('sync diff', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const treatmentOf = (salt: string, share: number, ids: string[]) => {
    const assigner = createHoldoutAssigner(salt, share);
    return ids.filter((id) => !assigner.isControl(id));
  };

  it('mirror: the first run adds every treated member; after 1% churn the second sends exactly the adds and removes', async () => {
    const connector = recordingConnector({ slug: 'mirror-list', maxBatchSize: 64 });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 1000);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'mirror-list',
      mode: 'mirror',
      holdoutShare: 0.1,
      salt: 'mirror-salt',
    });

    const first = await syncNow(engine, activationId);
    const treated = treatmentOf('mirror-salt', 0.1, profileIds);
    expect(first.run.status).toBe('succeeded');
    expect(connector.received('upsert').sort()).toEqual([...treated].sort());
    expect(connector.received('remove')).toEqual([]);
    expect(first.run.counts).toMatchObject({ considered: 1000, heldOutActivation: 1000 - treated.length, added: treated.length });
    expect(connector.calls.every((call) => call.members.length <= 64)).toBe(true);

    // 1% churn: 10 members leave, 10 new ones arrive.
    const leaving = profileIds.slice(0, 10);
    await removeMembers(db.dataSource, segmentId, leaving);
    const arriving = await addMembers(db.dataSource, segmentId, null, 10);
    connector.calls.length = 0;

    const second = await syncNow(engine, activationId);
    expect(second.run.status).toBe('succeeded');
    expect(connector.received('upsert').sort()).toEqual(treatmentOf('mirror-salt', 0.1, arriving).sort());
    expect(connector.received('remove').sort()).toEqual(treatmentOf('mirror-salt', 0.1, leaving).sort());
    // A delivered remove forgets the identifiers it sent (the vendor no longer holds them; issue #16).
    const states = await db.dataSource.query(
      `SELECT state, count(*)::int AS n, count(identifiers)::int AS with_identifiers FROM activation_members WHERE activation_id = $1 GROUP BY state ORDER BY state`,
      [activationId],
    );
    const present = treatmentOf('mirror-salt', 0.1, [...profileIds.slice(10), ...arriving]).length;
    expect(states).toEqual([
      { state: 'present', n: present, with_identifiers: present },
      { state: 'removed', n: treatmentOf('mirror-salt', 0.1, leaving).length, with_identifiers: 0 },
    ]);

    // Nothing changed: a third run sends nothing at all.
    connector.calls.length = 0;
    const third = await syncNow(engine, activationId);
    expect(connector.calls).toEqual([]);
    expect(third.run.counts.added ?? 0).toBe(0);
  });

  it('records sticky exposures: treatment when delivered, control for the held-back members, never rewritten', async () => {
    const connector = recordingConnector({ slug: 'exposure-list' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 300);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'exposure-list',
      mode: 'mirror',
      holdoutShare: 0.2,
      salt: 'exp-salt',
    });
    const { run } = await syncNow(engine, activationId);
    const arms = await db.dataSource.query(
      `SELECT arm, count(*)::int AS n FROM activation_exposures WHERE activation_id = $1 GROUP BY arm ORDER BY arm`,
      [activationId],
    );
    const treated = treatmentOf('exp-salt', 0.2, profileIds).length;
    expect(arms).toEqual([
      { arm: 'control', n: 300 - treated },
      { arm: 'treatment', n: treated },
    ]);
    const before = await db.dataSource.query(
      `SELECT profile_id, exposed_at, sync_run_id FROM activation_exposures WHERE activation_id = $1 ORDER BY profile_id`,
      [activationId],
    );
    await removeMembers(db.dataSource, segmentId, profileIds);
    await db.dataSource.query(
      `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), gen_random_uuid()`,
      [segmentId, profileIds],
    );
    await syncNow(engine, activationId);
    await syncNow(engine, activationId);
    const after = await db.dataSource.query(
      `SELECT profile_id, exposed_at, sync_run_id FROM activation_exposures WHERE activation_id = $1 ORDER BY profile_id`,
      [activationId],
    );
    expect(after).toEqual(before);
    expect(new Set(after.map((row: { sync_run_id: string }) => row.sync_run_id))).toEqual(new Set([run.id]));
  });

  const armsOf = async (activationId: string) =>
    Object.fromEntries(
      (
        await db.dataSource.query(`SELECT arm, count(*)::int AS n FROM activation_exposures WHERE activation_id = $1 GROUP BY arm`, [
          activationId,
        ])
      ).map((row: { arm: string; n: number }) => [row.arm, row.n]),
    );

  it('exposes nobody when the run delivers nothing: every batch failing, or the vendor refusing the credentials (list and send)', async () => {
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 120);
    const cases = [
      {
        slug: 'all-fail-list',
        deliveryModel: 'list' as const,
        mode: 'mirror' as const,
        fail: () => {
          throw new TypeError('vendor down');
        },
      },
      {
        slug: 'revoked-list',
        deliveryModel: 'list' as const,
        mode: 'mirror' as const,
        fail: () => {
          throw new InvalidCredentialsError('401 Unauthorized', 'HTTP 401');
        },
      },
      {
        slug: 'revoked-sms',
        deliveryModel: 'send' as const,
        mode: 'send' as const,
        fail: () => {
          throw new InvalidCredentialsError('401 Unauthorized', 'HTTP 401');
        },
      },
    ];
    for (const { slug, deliveryModel, mode, fail } of cases) {
      const connector = recordingConnector({ slug, deliveryModel, requiredIdentifiers: ['email'], maxBatchSize: 25, behaviour: fail });
      const engine = buildEngine(db.dataSource, [connector.definition]);
      const { activationId } = await seedActivation(db.dataSource, {
        segmentId,
        connector: slug,
        mode,
        holdoutShare: 0.3,
        salt: `${slug}-salt`,
        message: mode === 'send' ? { text: 'hi' } : undefined,
      });
      const { run } = await syncNow(engine, activationId);
      expect({ slug, status: run.status, called: connector.calls.length > 0 }).toEqual({ slug, status: 'failed', called: true });
      expect({ slug, arms: await armsOf(activationId) }).toEqual({ slug, arms: {} });
    }
    expect(treatmentOf('all-fail-list-salt', 0.3, profileIds).length).toBeLessThan(120); // there was a control group to expose
  });

  it('exposes nobody when a page of only held-out members is followed by a page that fails (the run ends failed)', async () => {
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 12);
    // Pages are cut after each eligible member (one a page): a salt that holds the last profiles in
    // key order back makes the adds' last page one of only held-out members; then the removes fail.
    const salt = Array.from({ length: 500 }, (_, index) => `held-page-${index}`).find((candidate) => {
      const sorted = [...profileIds].sort();
      return treatmentOf(candidate, 0.5, sorted.slice(-2)).length === 0 && treatmentOf(candidate, 0.5, sorted).length >= 2;
    }) as string;
    const leaving = treatmentOf(salt, 0.5, profileIds)[0];
    await removeMembers(db.dataSource, segmentId, [leaving]);
    const failures = {
      'held-page-down': () => new TypeError('vendor down'),
      'held-page-revoked': () => new InvalidCredentialsError('401 Unauthorized', 'HTTP 401'),
    };
    for (const [slug, removeError] of Object.entries(failures)) {
      const connector = recordingConnector({
        slug,
        behaviour: () => {
          throw connector.calls[connector.calls.length - 1].method === 'remove' ? removeError() : new TypeError('vendor down');
        },
      });
      const engine = buildEngine(db.dataSource, [connector.definition], { pageSize: 1 });
      const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: slug, mode: 'mirror', holdoutShare: 0.5, salt });
      await db.dataSource.query(
        `INSERT INTO activation_members (activation_id, profile_id, state, identifiers) VALUES ($1, $2, 'present', '{"email": "gone@example.com"}')`,
        [activationId, leaving],
      );
      const { run } = await syncNow(engine, activationId);
      expect({ slug, status: run.status, removeCalled: connector.received('remove').length > 0 }).toEqual({
        slug,
        status: 'failed',
        removeCalled: true,
      });
      expect({ slug, arms: await armsOf(activationId) }).toEqual({ slug, arms: {} });
    }
  });

  it('a run stopped after it delivered keeps its treated exposures but not the held-out ones of its pages without deliveries', async () => {
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 12);
    // A salt under which the last profiles in key order are held back (the adds' last page has only
    // them) and some profile is treated (one that left the segment: the remove the vendor refuses).
    const salt = Array.from({ length: 500 }, (_, index) => `stop-after-${index}`).find((candidate) => {
      const sorted = [...profileIds].sort();
      return treatmentOf(candidate, 0.5, sorted.slice(-2)).length === 0 && treatmentOf(candidate, 0.5, sorted.slice(0, -2)).length >= 3;
    }) as string;
    const treatedAll = treatmentOf(salt, 0.5, profileIds);
    const leaving = treatedAll[0];
    await removeMembers(db.dataSource, segmentId, [leaving]);
    const connector = recordingConnector({
      slug: 'stop-after-list',
      behaviour: (members) => {
        if (connector.calls[connector.calls.length - 1].method === 'remove')
          throw new InvalidCredentialsError('401 Unauthorized', 'HTTP 401');
        return members.map((member): RecordOutcome => ({ profileId: member.profileId, status: 'delivered' }));
      },
    });
    const engine = buildEngine(db.dataSource, [connector.definition], { pageSize: 1 });
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'stop-after-list',
      mode: 'mirror',
      holdoutShare: 0.5,
      salt,
    });
    await db.dataSource.query(
      `INSERT INTO activation_members (activation_id, profile_id, state, identifiers) VALUES ($1, $2, 'present', '{"email": "gone@example.com"}')`,
      [activationId, leaving],
    );
    const { run } = await syncNow(engine, activationId);
    const members = profileIds.filter((id) => id !== leaving).sort();
    const treated = treatmentOf(salt, 0.5, members);
    const lastTreated = members.indexOf(treated[treated.length - 1]);
    const controlWithDeliveries = members.slice(0, lastTreated).filter((id) => !treated.includes(id)).length;
    expect(run).toMatchObject({ status: 'failed', counts: expect.objectContaining({ added: treated.length }) });
    expect(connector.received('remove')).toEqual([leaving]);
    expect(await armsOf(activationId)).toEqual({
      treatment: treated.length,
      ...(controlWithDeliveries ? { control: controlWithDeliveries } : {}),
    });
  });

  it('send mode: the control group is exposed with the page whose messages were sent, each member once', async () => {
    const connector = recordingConnector({ slug: 'exposure-sms', deliveryModel: 'send', requiredIdentifiers: ['email'], maxBatchSize: 10 });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 90);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'exposure-sms',
      mode: 'send',
      holdoutShare: 0.25,
      salt: 'sms-exp',
      message: { text: 'hi' },
    });
    const { run } = await syncNow(engine, activationId);
    const treated = treatmentOf('sms-exp', 0.25, profileIds).length;
    expect(run.counts).toMatchObject({ sent: treated, heldOutActivation: 90 - treated });
    expect(await armsOf(activationId)).toEqual({ control: 90 - treated, treatment: treated });
    await syncNow(engine, activationId);
    expect(await armsOf(activationId)).toEqual({ control: 90 - treated, treatment: treated });
  });

  it('a page whose batches all failed exposes its control group at the next run that delivers it', async () => {
    let failing = true;
    const connector = recordingConnector({
      slug: 'flaky-list',
      maxBatchSize: 20,
      behaviour: (members) => {
        if (failing) throw new TypeError('vendor down');
        return members.map((member): RecordOutcome => ({ profileId: member.profileId, status: 'delivered' }));
      },
    });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 60);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'flaky-list',
      mode: 'mirror',
      holdoutShare: 0.2,
      salt: 'flaky-salt',
    });
    expect((await syncNow(engine, activationId)).run.status).toBe('failed');
    expect(await armsOf(activationId)).toEqual({});
    failing = false;
    const { run } = await syncNow(engine, activationId);
    const treated = treatmentOf('flaky-salt', 0.2, profileIds).length;
    expect(run).toMatchObject({ status: 'succeeded', counts: expect.objectContaining({ added: treated }) });
    expect(await armsOf(activationId)).toEqual({ control: 60 - treated, treatment: treated });
  });

  it('mirror removes members who may no longer be contacted although still in the segment', async () => {
    const connector = recordingConnector({ slug: 'consent-list' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 20);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'consent-list', mode: 'mirror' });
    await syncNow(engine, activationId);
    const [unsubscribed, listed, noConsent, smsOnly] = profileIds;
    await db.dataSource.query(`UPDATE profiles SET traits = traits || '{"unsubscribed": true}' WHERE id = $1`, [unsubscribed]);
    await db.dataSource.query(
      `INSERT INTO suppressions (identifier_type, identifier_value, channel, reason) SELECT 'email', value, 'all', 'complaint' FROM identities WHERE profile_id = $1 AND type = 'email'`,
      [listed],
    );
    await db.dataSource.query(`UPDATE profiles SET traits = traits || '{"consent": {"email": false}}' WHERE id = $1`, [noConsent]);
    await db.dataSource.query(`UPDATE profiles SET traits = traits || '{"consent": {"sms": false}}' WHERE id = $1`, [smsOnly]);
    connector.calls.length = 0;
    const { run } = await syncNow(engine, activationId);
    expect(connector.received('remove').sort()).toEqual([unsubscribed, listed, noConsent].sort());
    expect(connector.received('upsert')).toEqual([]);
    expect(run.counts.removed).toBe(3);
    // They stay off the list while they remain suppressed.
    connector.calls.length = 0;
    await syncNow(engine, activationId);
    expect(connector.calls).toEqual([]);
  });

  it('add-only never removes', async () => {
    const connector = recordingConnector({ slug: 'add-only-list' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 100);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'add-only-list', mode: 'add_only' });
    await syncNow(engine, activationId);
    expect(connector.received('upsert')).toHaveLength(100);
    await removeMembers(db.dataSource, segmentId, profileIds.slice(0, 50));
    connector.calls.length = 0;
    const { run } = await syncNow(engine, activationId);
    expect(connector.calls).toEqual([]);
    expect(run.counts.removed ?? 0).toBe(0);
  });

  it('send: one message per new member, never twice, with a delivery key stable per member and activation', async () => {
    const connector = recordingConnector({ slug: 'sms-send', deliveryModel: 'send', maxBatchSize: 7 });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 40);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'sms-send',
      mode: 'send',
      message: { text: 'Hi {{n}}' },
    });
    const first = await syncNow(engine, activationId);
    expect(first.run.counts).toMatchObject({ sent: 40, considered: 40 });
    expect(connector.received('send').sort()).toEqual([...profileIds].sort());
    expect(connector.calls.flatMap((call) => call.members.map((member) => member.deliveryKey))).toEqual(
      connector.calls.flatMap((call) => call.members.map((member) => `${activationId}:${member.profileId}`)),
    );
    expect(connector.calls[0].members[0].identifiers).toEqual({ phone: expect.stringMatching(/^\+1555\d{7}$/) });

    // Leaving and coming back does not send again; a new member gets exactly one message.
    await removeMembers(db.dataSource, segmentId, profileIds.slice(0, 5));
    await syncNow(engine, activationId);
    await db.dataSource.query(
      `INSERT INTO segment_memberships (segment_id, profile_id, entered_at, run_id) SELECT $1, unnest($2::uuid[]), now(), gen_random_uuid()`,
      [segmentId, profileIds.slice(0, 5)],
    );
    const [newcomer] = await addMembers(db.dataSource, segmentId, null, 1);
    connector.calls.length = 0;
    const { run } = await syncNow(engine, activationId);
    expect(connector.received('send')).toEqual([newcomer]);
    expect(run.counts.sent).toBe(1);
  });

  it('lists runs newest first and 404s unknown activations', async () => {
    const connector = recordingConnector({ slug: 'list-runs' });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId } = await seedSegment(db.dataSource, 3);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'list-runs', mode: 'mirror' });
    const a = await engine.service.requestSync(activationId, { requestedBy: 'ops@example.com' });
    const b = await engine.service.requestSync(activationId);
    expect(a).toMatchObject({ status: 'queued', dryRun: false, requestedBy: 'ops@example.com', segmentVersion: 1 });
    expect(engine.jobs.slice(-2)).toEqual([
      expect.objectContaining({ data: { runId: a.id } }),
      expect.objectContaining({ data: { runId: b.id } }),
    ]);
    const page = await engine.service.listRuns(activationId, { limit: 1 });
    expect(page).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(page.items.map((run) => run.id)).toEqual([b.id]);
    // The engine's codes; apps/api's status table makes them 404s (activations.e2e.spec.ts checks the wire).
    await expect(engine.service.requestSync('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      code: 'activation_not_found',
    });
    await expect(engine.service.requestSync('not-a-uuid')).rejects.toMatchObject({ code: 'activation_not_found' });
    await expect(engine.service.getRun('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'sync_run_not_found' });
    await db.dataSource.query(
      `UPDATE destinations SET deleted_at = now() WHERE id = (SELECT destination_id FROM activations WHERE id = $1)`,
      [activationId],
    );
    await expect(engine.service.requestSync(activationId)).rejects.toMatchObject({ code: 'activation_not_found' });
  });
});
