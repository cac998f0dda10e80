import { InvalidCredentialsError, PayloadValidationError, RecordOutcome, RetryableError } from '@audiencekit/connector-sdk';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { DestinationGate } from '../delivery/destination-gates';
import { Behaviour, buildEngine, recordingConnector, seedActivation, seedSegment, syncNow } from './sync-fixtures';

/**
 * Plugins misbehave; the run stays bounded and says why. Every case uses an in-process connector
 * scripted to fail in one way, with fast backoffs (FAST_OPTIONS: 3 attempts, 300 ms call timeout).
 */
describe('sync faults', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const deliveredAll: Behaviour = (members) =>
    members.map((member): RecordOutcome => ({ profileId: member.profileId, status: 'delivered' }));

  async function runWith(slug: string, behaviour: Behaviour, members = 30, maxBatchSize = 10) {
    const connector = recordingConnector({ slug, behaviour, maxBatchSize });
    const engine = buildEngine(db.dataSource, [connector.definition]);
    const { segmentId, profileIds } = await seedSegment(db.dataSource, members);
    const { activationId, destinationId } = await seedActivation(db.dataSource, { segmentId, connector: slug, mode: 'mirror' });
    const result = await syncNow(engine, activationId);
    const rejections = await db.dataSource.query(
      `SELECT kind, reason, count(*)::int AS n FROM sync_rejections WHERE sync_run_id = $1 GROUP BY kind, reason ORDER BY kind, reason`,
      [result.run.id],
    );
    return { ...result, connector, rejections, profileIds, activationId, destinationId };
  }

  it('a plugin that throws a bare error: each batch fails once with the reason recorded, not retried', async () => {
    const { run, connector, rejections } = await runWith('throws', () => {
      throw new TypeError('cannot read properties of undefined');
    });
    expect(run.status).toBe('failed');
    expect(connector.calls).toHaveLength(3);
    expect(run.counts).toMatchObject({ failed: 30, requests: 3 });
    expect(run.errors[0]).toMatchObject({
      kind: 'batch_failed',
      reason: expect.stringMatching(/outside the connector error set \(TypeError: cannot read/),
    });
    expect(rejections).toEqual([{ kind: 'failed', reason: expect.stringMatching(/TypeError/), n: 30 }]);
  });

  it('a plugin that hangs is cut off by the per-call timeout (its signal aborted) and retried, bounded', async () => {
    const signals: AbortSignal[] = [];
    const connector = recordingConnector({ slug: 'hangs', maxBatchSize: 10 });
    const hanging = {
      ...connector.definition,
      upsert: (ctx: { signal: AbortSignal }) => {
        signals.push(ctx.signal);
        return new Promise<never>(() => undefined);
      },
    };
    const engine = buildEngine(db.dataSource, [hanging]);
    const { segmentId } = await seedSegment(db.dataSource, 10);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'hangs', mode: 'mirror' });
    const { run } = await syncNow(engine, activationId);
    expect(signals).toHaveLength(3);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(run.status).toBe('failed');
    expect(run.counts).toMatchObject({ failed: 10, requests: 3, retried: 2 });
    expect(run.errors[0]).toMatchObject({ reason: 'out of retries after 3 attempt(s): the plugin call timed out' });
  });

  it('malformed results: garbage fails the batch; unknown ids are ignored; missing outcomes are retried, bounded', async () => {
    const garbage = await runWith('garbage', () => 'ok!', 10);
    expect(garbage.run.status).toBe('failed');
    expect(garbage.run.errors[0]).toMatchObject({ reason: expect.stringMatching(/malformed plugin result/) });

    // First answer: half the members, plus an unknown id and a junk entry; the rest come later.
    let calls = 0;
    const partial = await runWith(
      'partial-answers',
      (members) => {
        calls += 1;
        const answered = calls === 1 ? members.slice(0, 5) : members;
        return [
          ...answered.map((member) => ({ profileId: member.profileId, status: 'delivered' })),
          { profileId: 'someone-else', status: 'delivered' },
          42,
        ];
      },
      10,
    );
    expect(partial.run.status).toBe('succeeded');
    expect(partial.connector.calls.map((call) => call.members.length)).toEqual([10, 5]);
    expect(partial.run.counts).toMatchObject({ added: 10, retriedMembers: 5 });
    expect(partial.run.errors).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'malformed_outcomes', count: 2 })]));

    // A plugin that never answers for one member: retried up to maxMemberAttempts, then failed.
    const never = await runWith(
      'never-answers',
      (members) => members.slice(1).map((member) => ({ profileId: member.profileId, status: 'delivered' })),
      10,
    );
    expect(never.run.status).toBe('partial');
    expect(never.connector.calls.map((call) => call.members.length)).toEqual([10, 1, 1]);
    expect(never.rejections).toEqual([
      { kind: 'failed', reason: 'out of retries after 3 attempt(s): the plugin returned no outcome for this member', n: 1 },
    ]);
  });

  it('a vendor that asks to retry forever: bounded attempts honouring Retry-After, then the run ends failed with the reason', async () => {
    const { run, connector } = await runWith(
      'retry-forever',
      () => {
        throw new RetryableError('429 Too Many Requests', 5, 'HTTP 429');
      },
      20,
    );
    expect(connector.calls).toHaveLength(2 * 3);
    expect(run.status).toBe('failed');
    expect(run.counts).toMatchObject({ failed: 20, requests: 6, retried: 4 });
    expect(run.errors[0]).toMatchObject({ reason: 'out of retries after 3 attempt(s): 429 Too Many Requests (HTTP 429)' });
  });

  it('per-member outcomes: rejected recorded (not retried), suppress hints suppress, retryable members retried then delivered', async () => {
    let call = 0;
    const { run, connector, rejections } = await runWith(
      'mixed-outcomes',
      (members) => {
        call += 1;
        return members.map((member, index): RecordOutcome => {
          if (call === 1 && index === 0)
            return {
              profileId: member.profileId,
              status: 'rejected',
              reason: 'invalid address',
              code: '21211',
              suppress: { identifier: 'email', reason: 'bounced' },
            };
          if (call === 1 && index === 1) return { profileId: member.profileId, status: 'retryable', reason: 'busy', retryAfterMs: 2 };
          return { profileId: member.profileId, status: 'delivered' };
        });
      },
      5,
    );
    expect(run.status).toBe('succeeded');
    expect(connector.calls.map((call) => call.members.length)).toEqual([5, 1]);
    expect(run.counts).toMatchObject({ added: 4, rejected: 1 });
    expect(rejections).toEqual([{ kind: 'rejected', reason: 'invalid address', n: 1 }]);
    const rejectedId = connector.calls[0].members[0].profileId;
    expect(
      (await db.dataSource.query(`SELECT code FROM sync_rejections WHERE sync_run_id = $1 AND profile_id = $2`, [run.id, rejectedId]))[0]
        .code,
    ).toBe('21211');
    const suppressed = await db.dataSource.query(
      `SELECT s.channel, s.reason FROM suppressions s JOIN identities i ON i.type = 'email' AND i.value = s.identifier_value WHERE i.profile_id = $1`,
      [rejectedId],
    );
    expect(suppressed).toEqual([{ channel: 'email', reason: 'bounced' }]);
  });

  it('PayloadValidationError fails that batch only; the others are delivered and the run is partial', async () => {
    const { run, connector } = await runWith('payload', (members, call) => {
      if (call === 2) throw new PayloadValidationError('field "email" is invalid', 'HTTP 400');
      return deliveredAll(members, call);
    });
    expect(connector.calls).toHaveLength(3);
    expect(run.status).toBe('partial');
    expect(run.counts).toMatchObject({ added: 20, failed: 10 });
    expect(run.errors[0]).toMatchObject({ reason: 'payload refused by the vendor: field "email" is invalid (HTTP 400)' });
  });

  it('InvalidCredentialsError fails the run fast: one call, a clear message, no retry storm', async () => {
    const { run, connector, outcome } = await runWith(
      'bad-credentials',
      () => {
        throw new InvalidCredentialsError('401 Unauthorized: API key revoked', 'HTTP 401');
      },
      200,
    );
    expect(connector.calls).toHaveLength(1);
    expect(outcome.status).toBe('failed');
    expect(run.status).toBe('failed');
    expect(run.errors).toEqual([
      expect.objectContaining({
        kind: 'invalid_credentials',
        message: expect.stringMatching(/refused the destination's credentials: 401 Unauthorized/),
      }),
    ]);
  });

  it('a size read refused after delivery (e.g. PERMISSION_DENIED) is a warning on the run, never a failed run', async () => {
    const connector = recordingConnector({ slug: 'size-refused', maxBatchSize: 10 });
    const refusing = {
      ...connector.definition,
      audienceSize: async () => {
        throw new InvalidCredentialsError('The caller does not have permission (PERMISSION_DENIED)', 'PERMISSION_DENIED');
      },
    };
    const engine = buildEngine(db.dataSource, [refusing]);
    const { segmentId } = await seedSegment(db.dataSource, 20);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'size-refused', mode: 'mirror' });
    const { run, outcome } = await syncNow(engine, activationId);
    expect(outcome.status).toBe('succeeded');
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ added: 20 });
    expect(run.counts).not.toHaveProperty('audienceSize');
    expect(run.errors).toEqual([
      expect.objectContaining({ kind: 'warning', code: 'audience_size_unavailable', message: expect.stringMatching(/PERMISSION_DENIED/) }),
    ]);
  });

  it('a destination deleted mid-run stops the run before its next page, marked failed with the reason', async () => {
    const connector = recordingConnector({ slug: 'deleted-mid-run', maxBatchSize: 10 });
    let destinationId = '';
    const deleting = {
      ...connector.definition,
      upsert: async (ctx: { idempotencyKey: string }, members: readonly { profileId: string }[]) => {
        await db.dataSource.query(`UPDATE destinations SET deleted_at = now() WHERE id = $1`, [destinationId]);
        return members.map((member) => ({ profileId: member.profileId, status: 'delivered' as const }));
      },
    };
    const engine = buildEngine(db.dataSource, [deleting], { pageSize: 10 });
    const { segmentId } = await seedSegment(db.dataSource, 50);
    const seeded = await seedActivation(db.dataSource, { segmentId, connector: 'deleted-mid-run', mode: 'mirror' });
    destinationId = seeded.destinationId;
    const { run } = await syncNow(engine, seeded.activationId);
    expect(run.status).toBe('failed');
    expect(run.counts).toMatchObject({ added: 10, considered: 10 });
    expect(run.errors).toEqual([
      expect.objectContaining({ kind: 'destination_deleted', message: 'the destination was deleted during the run' }),
    ]);
  });

  it('the runner refuses a batch holding a held-out member (defence in depth) and fails loudly', async () => {
    const connector = recordingConnector({ slug: 'leak-check' });
    const engine = buildEngine(db.dataSource, [connector.definition], { pageSize: 20 });
    const { segmentId } = await seedSegment(db.dataSource, 40);
    const { activationId } = await seedActivation(db.dataSource, {
      segmentId,
      connector: 'leak-check',
      mode: 'mirror',
      holdoutShare: 0.5,
      salt: 'leak-salt',
    });
    // Simulate a bug upstream: the control share grows between the filters and the call (the
    // eligibility step saw 0.5; the runner re-reads the activation it was set up with).
    // The plugin call is batch delivery's (batch-delivery.ts), which the runner owns.
    const delivery = (engine.runner as unknown as { delivery: { call: (execution: any, batch: any) => Promise<unknown> } }).delivery;
    const realCall = delivery.call.bind(delivery);
    delivery.call = (execution: any, batch: any) => {
      const original = execution.setup.armOf;
      execution.setup.armOf = () => 'control';
      return realCall(execution, batch).finally(() => {
        execution.setup.armOf = original;
      });
    };
    const { run } = await syncNow(engine, activationId);
    expect(connector.calls).toEqual([]);
    expect(run.status).toBe('failed');
    expect(run.counts.holdoutViolations).toBe(1);
    expect(run.errors).toEqual([expect.objectContaining({ kind: 'holdout_violation', message: expect.stringMatching(/held-out member/) })]);
  });

  it('the circuit breaker opens after consecutive retryable failures and stops the run', async () => {
    const connector = recordingConnector({
      slug: 'breaker',
      maxBatchSize: 5,
      behaviour: () => {
        throw new RetryableError('503 Service Unavailable', 1);
      },
    });
    const engine = buildEngine(db.dataSource, [connector.definition], { breakerThreshold: 4, maxAttempts: 3 });
    const { segmentId } = await seedSegment(db.dataSource, 50);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'breaker', mode: 'mirror' });
    const { run } = await syncNow(engine, activationId);
    expect(connector.calls).toHaveLength(4);
    expect(run.status).toBe('failed');
    expect(run.errors).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'circuit_open' })]));
  });

  it('ensureAudience runs once per activation; its id is kept and handed to every call as ctx.audience', async () => {
    const audiences: unknown[] = [];
    let ensured = 0;
    const base = recordingConnector({ slug: 'audience-list' });
    const definition = {
      ...base.definition,
      ensureAudience: async (_ctx: unknown, input: { activationId: string; name: string }) => {
        ensured += 1;
        return { externalId: `list-${input.activationId.slice(0, 8)}` };
      },
      upsert: async (ctx: { audience?: { externalId: string } }, members: readonly { profileId: string }[]) => {
        audiences.push(ctx.audience);
        return members.map((member) => ({ profileId: member.profileId, status: 'delivered' as const }));
      },
    };
    const engine = buildEngine(db.dataSource, [definition]);
    const { segmentId } = await seedSegment(db.dataSource, 10);
    const { activationId } = await seedActivation(db.dataSource, { segmentId, connector: 'audience-list', mode: 'mirror' });
    await syncNow(engine, activationId);
    await db.dataSource.query(`DELETE FROM activation_members WHERE activation_id = $1`, [activationId]);
    await syncNow(engine, activationId);
    expect(ensured).toBe(1);
    const [row] = await db.dataSource.query(`SELECT external_audience_id FROM activations WHERE id = $1`, [activationId]);
    expect(row.external_audience_id).toBe(`list-${activationId.slice(0, 8)}`);
    expect(audiences).toEqual([{ externalId: row.external_audience_id }, { externalId: row.external_audience_id }]);
  });

  it('a slowDown hint doubles the destination spacing (bounded) and good calls give it back', () => {
    const gate = new DestinationGate({ maxBatchSize: 10, maxRequestsPerSecond: 10 }, 10, 1_000);
    expect(gate.interval()).toBe(100);
    gate.slowDown();
    gate.slowDown();
    expect(gate.interval()).toBe(400);
    for (let i = 0; i < 10; i++) gate.slowDown();
    expect(gate.interval()).toBe(800);
    for (let i = 0; i < 50; i++) gate.succeeded();
    expect(gate.interval()).toBe(400);
  });
});
