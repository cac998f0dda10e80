/**
 * The files of a new connector package, as text. Kept as template strings rather than template
 * files so that the generated code is type-checked reading this file, and linted by the
 * generator's own test (which runs jest and eslint on a generated package).
 */

export interface ConnectorNames {
  /** kebab-case slug and folder: `acme-mail` */
  slug: string;
  /** `acmeMail`: the exported definition */
  camel: string;
  /** `AcmeMail` */
  pascal: string;
  /** `Acme Mail` */
  display: string;
  /** `ACME_MAIL` */
  constant: string;
}

export interface ConnectorTemplateInput {
  names: ConnectorNames;
  channel: 'email' | 'sms' | 'ads' | 'webhook';
  deliveryModel: 'list' | 'send';
  /** From the package folder to the workspace root: `../../` */
  offset: string;
  projectRoot: string;
}

const IDENTIFIERS: Record<ConnectorTemplateInput['channel'], string> = {
  email: "['email']",
  sms: "['phone']",
  ads: "['email', 'phone']",
  webhook: "['email', 'phone', 'external_id']",
};

export function connectorFiles(input: ConnectorTemplateInput): Record<string, string> {
  const { names } = input;
  return {
    'project.json': projectJson(input),
    'jest.config.ts': jestConfig(input),
    'README.md': readme(input),
    'src/index.ts': `export { ${names.camel}, ${names.camel}Secrets, ${names.camel}Settings, ${names.constant}_HOST } from './${names.slug}.connector';\nexport type { ${names.pascal}Secrets, ${names.pascal}Settings } from './${names.slug}.connector';\n`,
    [`src/${names.slug}.connector.ts`]: connectorSource(input),
    [`src/fake/${names.slug}-fake.ts`]: fakeSource(input),
    [`src/__tests__/${names.slug}.connector.spec.ts`]: specSource(input),
  };
}

function projectJson({ names, offset, projectRoot }: ConnectorTemplateInput): string {
  const project = {
    name: `plugin-${names.slug}`,
    $schema: `${offset}node_modules/nx/schemas/project-schema.json`,
    sourceRoot: `${projectRoot}/src`,
    projectType: 'library',
    tags: ['type:plugin', 'scope:connector'],
    targets: {
      test: { executor: 'nx:run-commands', options: { command: `jest -c ${projectRoot}/jest.config.ts` } },
      lint: { executor: 'nx:run-commands', options: { command: `eslint ${projectRoot}` } },
    },
  };
  return `${JSON.stringify(project, null, 2)}\n`;
}

function jestConfig({ names, offset }: ConnectorTemplateInput): string {
  return `/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'plugin-${names.slug}',
  preset: '${offset}jest.preset.js',
  rootDir: '.',
};
`;
}

function readme({ names, channel, deliveryModel }: ConnectorTemplateInput): string {
  return `# plugins/${names.slug}

${names.display} connector (slug \`${names.slug}\`, channel \`${channel}\`, delivery model \`${deliveryModel}\`), tag
\`type:plugin\`: it depends on \`@audiencekit/connector-sdk\` only; HTTP goes through \`ctx.http\`, the SDK's guarded client.

Scaffolded by \`npx nx g ./tools/generators:connector --name=${names.slug} --channel=${channel}\`. Replace the
placeholder vendor API (\`src/${names.slug}.connector.ts\`) and its fake (\`src/fake/${names.slug}-fake.ts\`) with
the vendor's documented endpoints, and cite the documentation pages here.

## What it syncs
- TODO: the vendor's objects and endpoints, with links to their documentation.

## Settings and secrets
See \`${names.camel}Settings\` and \`${names.camel}Secrets\` in the connector file: they are the source of truth of the
destination form (\`GET /connectors\` serves them as JSON Schema).

## Limits it respects
\`limits\` in the definition: TODO the vendor's documented batch size and request rate.

## How it was tested
\`src/__tests__/${names.slug}.connector.spec.ts\`: against the fake vendor server of the SDK test kit (request bodies,
credentials, error mapping) and the SDK's contract suite (\`describeConnectorContract\`). See
\`docs/writing-a-connector.md\`.
`;
}

export function connectorSource({ names, channel, deliveryModel }: ConnectorTemplateInput): string {
  const sdkImports =
    deliveryModel === 'send'
      ? 'allDelivered, ConnectorContext, ConnectorDefinition, ConnectorError, connectorErrorFromHttp, EligibleMember, isHttpClientError, MessageTemplate, renderTemplate, RetryableError'
      : 'allDelivered, ConnectorContext, ConnectorDefinition, ConnectorError, connectorErrorFromHttp, EligibleMember, isHttpClientError, RetryableError';
  const methods =
    deliveryModel === 'send'
      ? `  send: async (ctx, { members, message }) => {
    await call(ctx, 'POST', '/v1/messages', { messages: members.map((member) => toMessage(member, message)) });
    return allDelivered(members);
  },`
      : `  ensureAudience: async (ctx, input) => {
    const list = await call<{ id: string }>(ctx, 'PUT', \`/v1/lists/\${encodeURIComponent(input.activationId)}\`, { name: \`\${ctx.settings.listPrefix}: \${input.name}\` });
    return { externalId: list.id };
  },
  upsert: async (ctx, members) => {
    await call(ctx, 'POST', \`/v1/lists/\${listId(ctx)}/members\`, { members: members.map(toContact) });
    return allDelivered(members);
  },
  remove: async (ctx, members) => {
    await call(ctx, 'POST', \`/v1/lists/\${listId(ctx)}/members/delete\`, { profileIds: members.map((member) => member.profileId) });
    return allDelivered(members);
  },`;
  const helpers =
    deliveryModel === 'send'
      ? `/** One message, personalised from the member's traits; the delivery key makes a retried call no second message. */
function toMessage(member: EligibleMember, message: MessageTemplate) {
  return {
    to: member.identifiers.${channel === 'sms' ? 'phone' : 'email'},
    subject: renderTemplate(message.subject ?? '', member),
    text: renderTemplate(message.text ?? '', member),
    idempotencyKey: member.deliveryKey,
  };
}`
      : `function listId(ctx: ConnectorContext<${names.pascal}Settings, ${names.pascal}Secrets>): string {
  if (!ctx.audience) throw new ConnectorError('connector_error', 'no audience: ensureAudience has not answered');
  return encodeURIComponent(ctx.audience.externalId);
}

function toContact(member: EligibleMember) {
  return { id: member.profileId, ...member.identifiers, fields: member.traits };
}`;
  return `import { z } from 'zod';
import { ${sdkImports} } from '@audiencekit/connector-sdk';

/** The vendor's public API; the core points \`ctx.baseUrl\` at a fake in tests and staging (AK_CONNECTOR_BASE_URLS). */
export const ${names.constant}_HOST = 'https://api.${names.slug}.example';

export const ${names.camel}Settings = z.object({
  listPrefix: z.string().min(1).default('audiencekit').describe('Prefix of the vendor-side list names'),
});
export const ${names.camel}Secrets = z.object({
  apiKey: z.string().min(8).describe('API key, sent as a Bearer token'),
});
export type ${names.pascal}Settings = z.infer<typeof ${names.camel}Settings>;
export type ${names.pascal}Secrets = z.infer<typeof ${names.camel}Secrets>;
type Ctx = Omit<ConnectorContext<${names.pascal}Settings, ${names.pascal}Secrets>, 'audience'>;

/**
 * One vendor call through \`ctx.http\` (the SDK's guarded client: no redirects, private hosts refused);
 * every failure leaves as one of the SDK's errors (the core decides on retries).
 */
async function call<T = unknown>(ctx: Ctx, method: 'GET' | 'POST' | 'PUT', path: string, data?: unknown): Promise<T> {
  try {
    const response = await ctx.http.client.request<T>({
      method,
      url: \`\${ctx.baseUrl ?? ${names.constant}_HOST}\${path}\`,
      data,
      headers: { authorization: \`Bearer \${ctx.secrets.apiKey}\`, 'idempotency-key': ctx.idempotencyKey },
      signal: ctx.signal,
    });
    return response.data;
  } catch (error) {
    throw toConnectorError(error);
  }
}

function toConnectorError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error; // e.g. the guard refused the target
  if (isHttpClientError(error) && error.response) {
    const { status, headers } = error.response;
    return connectorErrorFromHttp(status, headers as Record<string, string>, \`${names.display} answered HTTP \${status}\`);
  }
  if (isHttpClientError(error)) return new RetryableError(\`${names.display} unreachable: \${error.code ?? error.message}\`, undefined, error.code);
  return new ConnectorError('connector_error', error instanceof Error ? error.message : String(error));
}

// \`satisfies\` rather than defineConnector: callers (and tests) see the implemented methods as present.
export const ${names.camel} = {
  slug: '${names.slug}',
  displayName: '${names.display}',
  channel: '${channel}',
  deliveryModel: '${deliveryModel}',
  settings: ${names.camel}Settings,
  secrets: ${names.camel}Secrets,
  requiredIdentifiers: ${IDENTIFIERS[channel]},
  // TODO: the vendor's documented limits.
  limits: { maxBatchSize: 100, maxRequestsPerSecond: 5 },
  testConnection: async (ctx) => {
    await call(ctx, 'GET', '/v1/me');
  },
${methods}
} satisfies ConnectorDefinition<${names.pascal}Settings, ${names.pascal}Secrets>;

${helpers}
`;
}

export function fakeSource({ names, deliveryModel }: ConnectorTemplateInput): string {
  const routes =
    deliveryModel === 'send'
      ? `      'POST /v1/messages': guard((request) => ({ status: 202, body: { accepted: (request.body as { messages: unknown[] }).messages.length } })),`
      : `      'PUT /v1/lists/:activationId': guard((request) => ({ status: 200, body: { id: \`list-\${request.params.activationId}\` } })),
      'POST /v1/lists/:listId/members': guard(() => ({ status: 202, body: { accepted: true } })),
      'POST /v1/lists/:listId/members/delete': guard(() => ({ status: 202, body: { accepted: true } })),`;
  return `import { FakeRouteHandler, FakeVendorServer, startFakeVendor } from '@audiencekit/connector-sdk/testing';

/** The API key the fake accepts; anything else answers 401 as the vendor documents. */
export const ${names.constant}_TEST_KEY = '${names.slug}-test-key';

const guard = (handler: FakeRouteHandler): FakeRouteHandler => (request) =>
  request.headers.authorization === \`Bearer \${${names.constant}_TEST_KEY}\` ? handler(request) : { status: 401, body: { error: 'invalid api key' } };

/** A fake of the ${names.display} API, following its documented routes and errors (TODO: cite them). */
export function start${names.pascal}Fake(port?: number): Promise<FakeVendorServer> {
  return startFakeVendor({
    port,
    routes: {
      'GET /v1/me': guard(() => ({ status: 200, body: { ok: true } })),
${routes}
    },
  });
}
`;
}

export function specSource({ names, deliveryModel }: ConnectorTemplateInput): string {
  const call =
    deliveryModel === 'send'
      ? `${names.camel}.send(ctx(fake), { members, message: { subject: 'Hi {{first_name}}', text: 'Hello {{first_name}}' } })`
      : `${names.camel}.upsert(ctx(fake), members)`;
  const sent = deliveryModel === 'send' ? `'POST /v1/messages'` : `'POST /v1/lists/:listId/members'`;
  const bodyCheck =
    deliveryModel === 'send'
      ? `expect(request.body).toEqual({ messages: members.map((m) => expect.objectContaining({ subject: \`Hi \${m.traits.first_name}\`, idempotencyKey: m.deliveryKey })) });`
      : `expect(request.body).toEqual({ members: members.map((m) => ({ id: m.profileId, ...m.identifiers, fields: m.traits })) });`;
  return `import { InvalidCredentialsError, RetryableError } from '@audiencekit/connector-sdk';
import { describeConnectorContract, FakeVendorServer, testContext, testMembers } from '@audiencekit/connector-sdk/testing';
import { start${names.pascal}Fake, ${names.constant}_TEST_KEY } from '../fake/${names.slug}-fake';
import { ${names.camel} } from '../${names.slug}.connector';

const secrets = { apiKey: ${names.constant}_TEST_KEY };
const ctx = (fake: FakeVendorServer, apiKey = ${names.constant}_TEST_KEY) =>
  testContext(${names.camel}, { settings: {}, secrets: { apiKey }, baseUrl: fake.url, audience: { externalId: 'list-1' }, idempotencyKey: 'batch-1' });

describeConnectorContract('${names.slug}', { connector: ${names.camel}, startFake: () => start${names.pascal}Fake(), settings: {}, secrets, members: testMembers(3) });

describe('${names.slug} connector', () => {
  let fake: FakeVendorServer;
  beforeEach(async () => {
    fake = await start${names.pascal}Fake();
  });
  afterEach(async () => {
    await fake.stop();
  });

  it('sends the batch with the idempotency key', async () => {
    const members = testMembers(2);
    await expect(${call}).resolves.toHaveLength(2);
    const [request] = fake.requestsTo(${sent});
    expect(request.headers['idempotency-key']).toBe('batch-1');
    ${bodyCheck}
  });

  it('refuses bad credentials as InvalidCredentialsError', async () => {
    await expect(${names.camel}.testConnection(ctx(fake, 'wrong-key-123'))).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('turns 429 into a RetryableError carrying Retry-After', async () => {
    fake.fault({ respond: { status: 429, headers: { 'Retry-After': '2' } } });
    await expect(${names.camel}.testConnection(ctx(fake))).rejects.toEqual(expect.objectContaining({ retryAfterMs: 2_000 }));
    await expect(${names.camel}.testConnection(ctx(fake))).rejects.toBeInstanceOf(RetryableError);
  });
});
`;
}
