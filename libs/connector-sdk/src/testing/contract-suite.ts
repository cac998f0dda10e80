import type { AnyConnectorDefinition, ConnectorContext } from '../contract/connector-definition';
import { RetryableError } from '../contract/connector-errors';
import type { EligibleMember, RecordOutcome } from '../contract/members';
import { definitionProblems } from '../contract/validate-definition';
import type { FakeFault, FakeVendorServer } from './fake-vendor-server';
import { RecordingLogger, testContext, testMembers, TestMemberInput } from './harness';

/** A value, or a function of the running fake (settings often carry the fake's URL). */
export type FromFake<T> = T | ((fake: FakeVendorServer) => T);

export interface ConnectorContractOptions {
  connector: AnyConnectorDefinition;
  /** Starts a fresh fake vendor that accepts valid calls; the suite stops it. */
  startFake: () => Promise<FakeVendorServer>;
  settings: FromFake<unknown>;
  secrets: FromFake<unknown>;
  /** A batch the fake accepts; each member has the connector's required identifiers. */
  members: EligibleMember[];
  /** Members of the full-size batch (default: `testMembers`' e-mail, phone and profile id). */
  makeMember?: (index: number) => TestMemberInput;
  /** Where 429/5xx faults are injected (default: every request). */
  faultMatch?: FakeFault['match'];
  /** The message of send-model calls. */
  message?: { subject?: string; text?: string; html?: string; templateId?: string };
  /** Pass `false` for the full-size batch when the limit is too large for a unit test (say why). */
  fullBatch?: boolean;
}

/**
 * The checks every connector must pass, as a jest `describe` block: call it at the top level of a
 * plugin's spec. It uses jest's globals only when called, so importing the test kit stays harmless.
 * @example describeConnectorContract('webhook', { connector: webhook, startFake, settings: (fake) => ({ url: fake.url }), secrets, members: testMembers(3) });
 */
export function describeConnectorContract(name: string, options: ConnectorContractOptions): void {
  describe(`connector contract: ${name}`, () => {
    const { connector } = options;
    let fake: FakeVendorServer;
    const loggers: RecordingLogger[] = [];

    beforeAll(async () => {
      fake = await options.startFake();
    });
    afterAll(async () => {
      await fake?.stop();
    });
    afterEach(() => fake?.clearFaults());

    const context = async (): Promise<ConnectorContext<unknown, unknown>> => {
      const base = testContext(connector, {
        settings: resolve(options.settings, fake),
        secrets: resolve(options.secrets, fake),
        baseUrl: fake.url,
      });
      loggers.push(base.logger);
      const audience = connector.ensureAudience
        ? await connector.ensureAudience(base, { name: `audiencekit: ${name} contract`, activationId: 'contract-activation' })
        : undefined;
      return { ...base, audience };
    };
    const deliver = async (members: readonly EligibleMember[], given?: ConnectorContext<unknown, unknown>): Promise<RecordOutcome[]> => {
      const ctx = given ?? (await context());
      const message = options.message ?? { subject: 'Hi {{first_name}}', text: 'Hello {{first_name}}' };
      if (connector.deliveryModel === 'send' && connector.send) return connector.send(ctx, { members, message });
      if (connector.upsert) return connector.upsert(ctx, members);
      throw new Error(`${name} implements neither send nor upsert for its delivery model`);
    };

    it('declares a well-formed definition', () => {
      expect(definitionProblems(connector)).toEqual([]);
    });

    it('passes testConnection against the fake', async () => {
      await expect(context().then((ctx) => connector.testConnection(ctx))).resolves.toBeUndefined();
    });

    it('returns exactly one outcome per member, with known profile ids', async () => {
      const outcomes = await deliver(options.members);
      expectOneOutcomeEach(outcomes, options.members);
      expect(outcomes.every((outcome) => outcome.status === 'delivered')).toBe(true);
    });

    const { remove } = connector;
    if (remove) {
      it('returns exactly one outcome per removed member', async () => {
        expectOneOutcomeEach(await remove.call(connector, await context(), options.members), options.members);
      });
    }

    if (options.fullBatch !== false) {
      it(`accepts a batch of maxBatchSize (${connector.limits?.maxBatchSize}) members`, async () => {
        const members = testMembers(connector.limits.maxBatchSize, options.makeMember);
        expectOneOutcomeEach(await deliver(members), members);
      }, 60_000);
    }

    it.each([
      ['429 with Retry-After', { status: 429, headers: { 'Retry-After': '7' } }],
      ['500', { status: 500, body: { error: 'contract suite fault' } }],
      ['503', { status: 503, body: { error: 'contract suite fault' } }],
    ])('surfaces a vendor %s as retryable, not swallowed', async (_label, respond) => {
      const ctx = await context(); // before the fault, so ensureAudience is not the call that fails
      fake.fault({ match: options.faultMatch, respond });
      const result = await settle(deliver(options.members, ctx));
      expectRetryable(result, options.members, respond.status === 429 ? 7_000 : undefined);
    });

    it('never writes a secret value to the logger', async () => {
      await deliver(options.members).catch(() => undefined);
      const secrets = leafStrings(connector.secrets.parse(resolve(options.secrets, fake))).filter((value) => value.length >= 4);
      const logged = JSON.stringify(loggers.flatMap((logger) => logger.lines));
      expect(loggers.length).toBeGreaterThan(0);
      for (const secret of secrets) expect(logged).not.toContain(secret);
    });
  });
}

function resolve<T>(value: FromFake<T>, fake: FakeVendorServer): T {
  return typeof value === 'function' ? (value as (fake: FakeVendorServer) => T)(fake) : value;
}

function expectOneOutcomeEach(outcomes: RecordOutcome[], members: readonly EligibleMember[]): void {
  expect(outcomes.map((outcome) => outcome.profileId).sort()).toEqual(members.map((member) => member.profileId).sort());
}

type Settled = { ok: true; outcomes: RecordOutcome[] } | { ok: false; error: unknown };

const settle = (promise: Promise<RecordOutcome[]>): Promise<Settled> =>
  promise.then(
    (outcomes) => ({ ok: true as const, outcomes }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/**
 * A fault on every request must reach the core as a retry: a thrown `RetryableError` (batch APIs)
 * or a `retryable` outcome for every member (per-message APIs). A `delivered` or a plain error
 * would lose the member or fail the run.
 */
function expectRetryable(result: Settled, members: readonly EligibleMember[], retryAfterMs: number | undefined): void {
  if (!result.ok) {
    expect(result.error).toBeInstanceOf(RetryableError);
    if (retryAfterMs !== undefined) expect((result.error as RetryableError).retryAfterMs).toBe(retryAfterMs);
    return;
  }
  expectOneOutcomeEach(result.outcomes, members);
  expect(result.outcomes.map((outcome) => outcome.status)).toEqual(members.map(() => 'retryable'));
}

function leafStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(leafStrings);
  return [];
}
