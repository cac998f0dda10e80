import { randomUUID } from 'node:crypto';
import type { AnyConnectorDefinition, ConnectorContext, ConnectorDefinition, ConnectorLogger } from '../contract/connector-definition';
import type { EligibleMember, IdentifierKind, MemberData } from '../contract/members';
import { createGuardedHttp, GuardedHttpOptions } from '../http/guarded-http';

/**
 * Test kit for connector authors: members and contexts to call a connector directly in its own
 * tests, against a fake vendor server. Production code never imports this entry point (lint
 * forbids `@audiencekit/connector-sdk/testing` outside test files); it is the only place outside
 * the activation core allowed to mint `EligibleMember`s.
 */

export interface TestMemberInput {
  profileId?: string;
  email?: string;
  phone?: string;
  externalId?: string;
  traits?: Record<string, unknown>;
  /** Computed and SQL trait values (`member.computed`), as the core loads them for an activation that uses them. */
  computed?: Record<string, unknown>;
  deliveryKey?: string;
}

export function testMember(input: TestMemberInput = {}): EligibleMember {
  const profileId = input.profileId ?? randomUUID();
  const identifiers: Partial<Record<IdentifierKind, string>> = {};
  if (input.email !== undefined) identifiers.email = input.email;
  if (input.phone !== undefined) identifiers.phone = input.phone;
  if (input.externalId !== undefined) identifiers.external_id = input.externalId;
  const member: MemberData = {
    profileId,
    identifiers,
    traits: input.traits ?? {},
    ...(input.computed ? { computed: input.computed } : {}),
    deliveryKey: input.deliveryKey ?? `test-${profileId}`,
  };
  return member as EligibleMember;
}

/** `count` members with distinct e-mail addresses and phone numbers (`user1@example.com`, `+1555000…`). */
export function testMembers(count: number, make: (index: number) => TestMemberInput = defaultMember): EligibleMember[] {
  return Array.from({ length: count }, (_, index) => testMember(make(index)));
}

const defaultMember = (index: number): TestMemberInput => ({
  profileId: `profile-${index + 1}`,
  email: `user${index + 1}@example.com`,
  phone: `+1555${String(index + 1).padStart(7, '0')}`,
  traits: { first_name: `User${index + 1}` },
});

export interface RecordingLogger extends ConnectorLogger {
  lines: { level: 'info' | 'warn'; message: string; fields?: Record<string, unknown> }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  return {
    lines,
    info: (message, fields) => void lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => void lines.push({ level: 'warn', message, fields }),
  };
}

/** Settings and secrets as a form would submit them: the connector's schemas validate them (and apply defaults). */
export interface TestContextInput<Settings = unknown, Secrets = unknown> {
  settings: Settings;
  secrets: Secrets;
  baseUrl?: string;
  audience?: { externalId: string };
  idempotencyKey?: string;
  timeoutMs?: number;
  /**
   * The guard of `ctx.http`, as the core would build it: the host of `baseUrl` is trusted; add
   * `allowedHosts` (default: the environment's allow-list) or a scripted `resolve`.
   */
  http?: Omit<GuardedHttpOptions, 'trustedBaseUrl'>;
}

/**
 * A context as the core builds one, with settings and secrets validated by the connector's own
 * schemas (so a test fails if its settings would be refused on save). The types come from the
 * connector, so defaults its schema fills in are typed as present.
 */
export function testContext<Settings, Secrets>(
  connector: ConnectorDefinition<Settings, Secrets> | AnyConnectorDefinition,
  input: TestContextInput<unknown, unknown>,
): ConnectorContext<Settings, Secrets> & { logger: RecordingLogger } {
  return {
    settings: connector.settings.parse(input.settings) as Settings,
    secrets: connector.secrets.parse(input.secrets) as Secrets,
    baseUrl: input.baseUrl,
    audience: input.audience,
    idempotencyKey: input.idempotencyKey ?? randomUUID(),
    signal: AbortSignal.timeout(input.timeoutMs ?? 10_000),
    logger: recordingLogger(),
    http: createGuardedHttp({ ...input.http, trustedBaseUrl: input.baseUrl }),
  };
}
