import { randomUUID } from 'node:crypto';
import { FakeResponse, FakeVendorServer, RecordedRequest, startFakeVendor } from '@audiencekit/connector-sdk/testing';
import { graphRequestViolations } from './graph-spec';

/**
 * A fake of the parts of Meta's Graph API (Marketing API) the meta-ads connector uses, following
 * Meta's reference pages: ad account read, `/act_{id}/customaudiences` list and create,
 * `/{audience-id}` read, `/{audience-id}/users` add (POST) and remove (DELETE), both
 * with a required session (numeric `session_id`, `batch_seq`, `last_batch_flag`), and
 * `/{audience-id}/usersreplace` with its session parameters. Error bodies are Graph API shaped
 * (`{ error: { message, type, code, error_subcode, fbtrace_id } }`).
 *
 * Every request is first checked against Meta's codegen spec and the guide's payload / session shape
 * (`graph-spec.ts`): a param of the wrong type or enum, a required one missing, a `fields` name the
 * node does not have, an unknown schema key, a non-numeric session id → 400 code 100 OAuthException
 * (an unknown node or edge → GraphMethodException, subcode 33), each with an `fbtrace_id`. Unknown
 * params pass, as Graph ignores them. Every answer carries Meta's usage headers (`X-App-Usage`,
 * `X-Ad-Account-Usage`, `X-Business-Use-Case-Usage`, shapes from the rate-limiting page). An
 * audience's approximate count is of people (rows joined by any shared hash), not of identifiers.
 */
export interface MetaFakeOptions {
  port?: number;
  /** The one access token the fake accepts (default `fake-meta-token`). */
  accessToken?: string;
  /** The ad account the token can use (default `1234567890`). */
  adAccountId?: string;
  /** Hashes the fake refuses as invalid entries (to script a partial failure inside a batch). */
  invalidHashes?: Iterable<string>;
  /** Calls counted as 100% in the usage headers (default 1,000): usage grows with every call. */
  usageBudget?: number;
  /** The business whose `custom_audience` use case the BUC header reports (default `fake-business`). */
  businessId?: string;
  random?: () => number;
}

export interface FakeAudience {
  id: string;
  name: string;
  subtype: string;
  customer_file_source: string;
  description?: string;
  /** Member keys: `EMAIL:<hash>` / `PHONE:<hash>`. */
  members: Set<string>;
  /** People: each the keys of one uploaded row, rows sharing a key joined (what the approximate count counts). */
  people: Set<Set<string>>;
  /** The person holding each key. */
  personOf: Map<string, Set<string>>;
}

interface ReplaceSession {
  audienceId: string;
  lastSeq: number;
  pending: Set<string>;
  pendingRows: string[][];
  estimatedTotal?: number;
}

export interface MetaFake {
  server: FakeVendorServer;
  readonly url: string;
  audiences: Map<string, FakeAudience>;
  /** Finished and open replace sessions by session id. */
  sessions: Map<number, ReplaceSession & { done: boolean }>;
  stop(): Promise<void>;
}

export const META_FAKE_MAX_USERS = 10_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export async function startMetaFake(options: MetaFakeOptions = {}): Promise<MetaFake> {
  const token = options.accessToken ?? 'fake-meta-token';
  const account = `act_${(options.adAccountId ?? '1234567890').replace(/^act_/, '')}`;
  const invalidHashes = new Set(options.invalidHashes ?? []);
  const audiences = new Map<string, FakeAudience>();
  const sessions = new Map<number, ReplaceSession & { done: boolean }>();
  const uploads = new Map<number, { lastSeq: number; done: boolean }>();
  let nextId = 23850000000000;
  let calls = 0;
  const usageBudget = options.usageBudget ?? 1_000;
  const businessId = options.businessId ?? 'fake-business';

  /** Meta's usage headers (Marketing API "Rate Limiting"): percentages of the budget used so far. */
  const usageHeaders = (): Record<string, string> => {
    const pct = Math.min(100, Math.round((calls * 100) / usageBudget));
    return {
      'X-App-Usage': JSON.stringify({ call_count: pct, total_cputime: Math.round(pct / 2), total_time: Math.round(pct / 2) }),
      'X-Ad-Account-Usage': JSON.stringify({
        acc_id_util_pct: pct,
        reset_time_duration: pct >= 100 ? 300 : 0,
        ads_api_access_tier: 'standard_access',
      }),
      'X-Business-Use-Case-Usage': JSON.stringify({
        [businessId]: [
          {
            type: 'custom_audience',
            call_count: pct,
            total_cputime: Math.round(pct / 2),
            total_time: Math.round(pct / 2),
            estimated_time_to_regain_access: 0,
            ads_api_access_tier: 'standard_access',
          },
        ],
      }),
    };
  };

  const authed = (handler: (request: RecordedRequest) => FakeResponse) => (request: RecordedRequest) => {
    calls += 1;
    const answer = answerOf(request, handler);
    return { ...answer, headers: { ...usageHeaders(), ...answer.headers } };
  };
  const answerOf = (request: RecordedRequest, handler: (request: RecordedRequest) => FakeResponse): FakeResponse => {
    if (tokenOf(request) !== token) return graphError(400, 190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException');
    const violations = graphRequestViolations(request).filter((violation) => violation.kind !== 'unknown_param');
    const unknownEdge = violations.find((violation) => violation.kind === 'no_such_edge');
    if (unknownEdge) return unsupported(request.method.toLowerCase(), request.path);
    if (violations.length > 0) return graphError(400, 100, violations[0].message, 'OAuthException');
    return handler(request);
  };

  const node = authed((request) => {
    const id = request.params.node;
    if (id.startsWith('act_')) return id === account ? ok({ id, name: 'Fake ad account' }) : unsupported('get', id);
    const audience = audiences.get(id);
    if (!audience) return unsupported('get', id);
    return ok({
      id,
      name: audience.name,
      // Counted in people (rows joined by a shared hash), not identifiers: one person with an e-mail and a phone is 1.
      approximate_count_lower_bound: audience.people.size,
      approximate_count_upper_bound: audience.people.size,
    });
  });

  const listAudiences = authed((request) => {
    if (request.params.account !== account) return unsupported('get', request.params.account);
    const filters = parseJson(request.query.filtering) as { field: string; operator: string; value: string }[] | undefined;
    const byName = filters?.find((filter) => filter.field === 'name' && filter.operator === 'EQUAL')?.value;
    const data = [...audiences.values()]
      .filter((audience) => byName === undefined || audience.name === byName)
      .map(({ id, name }) => ({ id, name }));
    return ok({ data, paging: {} });
  });

  const createAudience = authed((request) => {
    if (request.params.account !== account) return unsupported('post', request.params.account);
    const body = formOf(request);
    if (!body.name) return invalidParameter('name is required');
    if (body.subtype !== 'CUSTOM') return invalidParameter('subtype must be CUSTOM for a customer list');
    if (!['USER_PROVIDED_ONLY', 'PARTNER_PROVIDED_ONLY', 'BOTH_USER_AND_PARTNER_PROVIDED'].includes(body.customer_file_source ?? '')) {
      return invalidParameter('customer_file_source is required for a customer list');
    }
    const id = String(nextId++);
    audiences.set(id, {
      id,
      name: body.name,
      subtype: body.subtype,
      customer_file_source: String(body.customer_file_source),
      description: body.description,
      members: new Set(),
      people: new Set(),
      personOf: new Map(),
    });
    return ok({ id });
  });

  const users = (mode: 'add' | 'remove' | 'replace') =>
    authed((request) => {
      const audience = audiences.get(request.params.audience);
      if (!audience) return unsupported(request.method.toLowerCase(), request.params.audience);
      const body = formOf(request);
      const payload = readPayload(parseJson(body.payload));
      if (typeof payload === 'string') return invalidParameter(payload);
      const { keys, rows, invalid } = readRows(payload.schema, payload.data, invalidHashes);
      let sessionId: string;
      if (mode === 'replace') {
        const session = readSession(parseJson(body.session), sessions);
        if (typeof session === 'string') return invalidParameter(session);
        sessionId = String(session.session_id);
        const open = sessions.get(session.session_id) ?? {
          audienceId: audience.id,
          lastSeq: 0,
          pending: new Set<string>(),
          pendingRows: [],
          done: false,
        };
        for (const key of keys) open.pending.add(key);
        open.pendingRows.push(...rows);
        open.lastSeq = session.batch_seq;
        open.estimatedTotal = session.estimated_num_total;
        if (session.last_batch_flag) {
          audience.members = new Set(open.pending);
          audience.people = new Set();
          audience.personOf = new Map();
          for (const row of open.pendingRows) addPerson(audience, row);
          open.done = true;
        }
        sessions.set(session.session_id, open);
      } else {
        // Meta's guide lists session as required on /users too: one upload session per id.
        const session = readSession(parseJson(body.session), uploads);
        if (typeof session === 'string') return invalidParameter(session);
        sessionId = String(session.session_id);
        uploads.set(session.session_id, { lastSeq: session.batch_seq, done: session.last_batch_flag });
        for (const row of rows) {
          if (mode === 'add') addPerson(audience, row);
          else removePerson(audience, row);
        }
      }
      return ok({
        audience_id: audience.id,
        session_id: String(sessionId),
        num_received: payload.data.length,
        num_invalid_entries: invalid.size,
        invalid_entry_samples: Object.fromEntries(invalid),
      });
    });

  const server = await startFakeVendor({
    port: options.port,
    random: options.random,
    routes: {
      'GET /:version/:account/customaudiences': listAudiences,
      'POST /:version/:account/customaudiences': createAudience,
      'POST /:version/:audience/users': users('add'),
      'DELETE /:version/:audience/users': users('remove'),
      'POST /:version/:audience/usersreplace': users('replace'),
      'GET /:version/:node': node,
    },
  });
  return {
    server,
    get url() {
      return server.url;
    },
    audiences,
    sessions,
    stop: () => server.stop(),
  };
}

/** The payload's schema and rows, or what is wrong with it. */
function readPayload(value: unknown): { schema: string[]; data: unknown[][] } | string {
  const payload = value as { schema?: unknown; data?: unknown } | undefined;
  if (!payload || typeof payload !== 'object') return 'payload must be a JSON object';
  const schema = typeof payload.schema === 'string' ? [payload.schema] : payload.schema;
  if (!Array.isArray(schema) || schema.length === 0) return 'payload.schema is required';
  if (!Array.isArray(payload.data)) return 'payload.data must be an array';
  if (payload.data.length === 0) return 'payload.data is empty';
  if (payload.data.length > META_FAKE_MAX_USERS)
    return `too many users in one request: ${payload.data.length} (at most ${META_FAKE_MAX_USERS})`;
  return { schema: schema.map(String), data: payload.data.map((row) => (Array.isArray(row) ? row : [row])) };
}

/** One uploaded row is one person: joined with every person already holding one of its keys. */
function addPerson(audience: FakeAudience, row: string[]): void {
  if (row.length === 0) return;
  const joined = new Set(row);
  for (const key of row) {
    const person = audience.personOf.get(key);
    if (!person || !audience.people.has(person)) continue;
    audience.people.delete(person);
    for (const other of person) joined.add(other);
  }
  audience.people.add(joined);
  for (const key of joined) {
    audience.personOf.set(key, joined);
    audience.members.add(key);
  }
}

/** Removing a row removes every person it matches, with all their keys. */
function removePerson(audience: FakeAudience, row: string[]): void {
  for (const key of row) {
    const person = audience.personOf.get(key);
    if (person && audience.people.delete(person)) {
      for (const other of person) {
        audience.members.delete(other);
        audience.personOf.delete(other);
      }
    }
    audience.members.delete(key);
    audience.personOf.delete(key);
  }
}

/** Keys of the valid rows (flat, and per row), and each invalid value with its reason (what `invalid_entry_samples` reports). */
function readRows(
  schema: string[],
  rows: unknown[][],
  invalidHashes: Set<string>,
): { keys: string[]; rows: string[][]; invalid: Map<string, string> } {
  const keys: string[] = [];
  const rowKeys: string[][] = [];
  const invalid = new Map<string, string>();
  for (const row of rows) {
    const values = row;
    let valid = 0;
    const mine: string[] = [];
    rowKeys.push(mine);
    schema.forEach((field, index) => {
      const value = values[index];
      if (value === '' || value === undefined) return;
      if (typeof value !== 'string' || !SHA256_HEX.test(value)) invalid.set(String(value), `${field} is not a SHA-256 hex digest`);
      else if (invalidHashes.has(value)) invalid.set(value, `${field} entry is invalid`);
      else {
        keys.push(`${field}:${value}`);
        mine.push(`${field}:${value}`);
        valid += 1;
      }
    });
    if (valid === 0 && values.every((value) => value === '')) invalid.set(JSON.stringify(values), 'row has no value');
  }
  return { keys, rows: rowKeys, invalid };
}

interface SessionParams {
  session_id: number;
  batch_seq: number;
  last_batch_flag: boolean;
  estimated_num_total?: number;
}

/** The replace session parameters, or what is wrong with them. */
function readSession(value: unknown, sessions: Map<number, { lastSeq: number; done: boolean }>): SessionParams | string {
  const session = value as Partial<SessionParams> | undefined;
  if (!session || typeof session !== 'object') return 'session is required';
  const { session_id: id, batch_seq: seq, last_batch_flag: last, estimated_num_total: total } = session;
  if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0) return 'session.session_id must be a positive integer';
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) return 'session.batch_seq must start at 1';
  if (typeof last !== 'boolean') return 'session.last_batch_flag must be a boolean';
  const open = sessions.get(id);
  if (open?.done) return `session ${id} is already finished`;
  // Not documented as strict by Meta: the fake insists on order so a skipped or repeated batch shows in tests.
  const expected = (open?.lastSeq ?? 0) + 1;
  if (seq !== expected) return `session.batch_seq ${seq} out of order (expected ${expected})`;
  return { session_id: id, batch_seq: seq, last_batch_flag: last, ...(typeof total === 'number' ? { estimated_num_total: total } : {}) };
}

function tokenOf(request: RecordedRequest): string | undefined {
  const header = request.headers.authorization;
  const bearer = typeof header === 'string' && /^(Bearer|OAuth) /i.test(header) ? header.replace(/^\S+\s+/, '') : undefined;
  return bearer ?? request.query.access_token ?? formOf(request).access_token;
}

function formOf(request: RecordedRequest): Record<string, string | undefined> {
  return (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, string | undefined>;
}

function parseJson(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

const ok = (body: unknown): FakeResponse => ({ status: 200, body });

/** A Graph API error answer. */
export function graphError(
  status: number,
  code: number,
  message: string,
  type = 'OAuthException',
  subcode?: number,
  headers?: Record<string, string>,
): FakeResponse {
  return {
    status,
    headers,
    body: {
      error: { message, type, code, ...(subcode === undefined ? {} : { error_subcode: subcode }), fbtrace_id: randomUUID().slice(0, 11) },
    },
  };
}

const invalidParameter = (detail: string): FakeResponse => graphError(400, 100, `(#100) Invalid parameter: ${detail}`, 'OAuthException');
const unsupported = (verb: string, id: string): FakeResponse =>
  graphError(
    400,
    100,
    `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    'GraphMethodException',
    33,
  );
