import { OpenApiDocument, OpenApiRequestValidator } from './openapi-request-validator';

/** Small OpenAPI documents (3.0 and 3.1) exercising each part of a request the validator checks. */
const v30: OpenApiDocument = {
  openapi: '3.0.1',
  security: [{ basicAuth: [] }],
  components: {
    securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } },
    schemas: { Channel: { type: 'string', enum: ['sms', 'voice'] } },
  },
  paths: {
    '/v1/Things/{Sid}.json': {
      get: {
        parameters: [{ name: 'Sid', in: 'path', required: true, schema: { type: 'string', pattern: '^TH[0-9a-f]{4}$' } }],
        responses: {
          '200': {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    sid: { type: 'string' },
                    status: { $ref: '#/components/schemas/Channel' },
                    price: { type: 'string', nullable: true },
                  },
                },
              },
            },
          },
        },
      },
    },
    '/v1/Things/{Sid}/Messages.json': {
      parameters: [{ name: 'Sid', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        'x-twilio': { conditional: [['from', 'messaging_service_sid']] },
        parameters: [{ name: 'X-Trace', in: 'header', required: true, schema: { type: 'string', minLength: 2 } }],
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['To'],
                properties: {
                  To: { type: 'string' },
                  From: { type: 'string' },
                  MessagingServiceSid: { type: 'string' },
                  Count: { type: 'integer', minimum: 1 },
                  Note: { type: 'string', nullable: true },
                  Channel: { $ref: '#/components/schemas/Channel' },
                },
              },
            },
          },
        },
      },
    },
  },
};

const v31: OpenApiDocument = {
  openapi: '3.1.0',
  security: [{ BearerAuth: [] }],
  components: { securitySchemes: { BearerAuth: { type: 'http', scheme: 'bearer' } } },
  paths: {
    '/v3/items': {
      get: {
        parameters: [
          { name: 'page_size', in: 'query', schema: { type: 'number', minimum: 1, maximum: 10 } },
          { name: 'ids', in: 'query', required: true, schema: { type: 'array', items: { type: 'string', minLength: 3 } } },
        ],
      },
      put: {
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  tags: { type: 'array', uniqueItems: true, items: { type: 'string' } },
                  email: { type: 'string', format: 'email' },
                },
              },
            },
          },
        },
      },
    },
  },
};

const validator = new OpenApiRequestValidator([v30, v31]);
const basic = `Basic ${Buffer.from('TH0001:token').toString('base64')}`;
const request = (
  method: string,
  url: string,
  options: { headers?: Record<string, string>; form?: Record<string, string>; json?: unknown } = {},
) => {
  const parsed = new URL(url, 'http://fake.local');
  const rawBody = options.form
    ? new URLSearchParams(options.form).toString()
    : options.json !== undefined
      ? JSON.stringify(options.json)
      : '';
  return {
    method,
    path: parsed.pathname,
    query: Object.fromEntries(parsed.searchParams),
    headers: {
      ...(options.form
        ? { 'content-type': 'application/x-www-form-urlencoded' }
        : options.json !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
      ...options.headers,
    },
    rawBody,
    body: options.form ?? options.json,
  };
};
const fields = (check: { violations: { location: string; field: string; keyword: string }[] }) =>
  check.violations.map((violation) => `${violation.location}:${violation.field}:${violation.keyword}`);

describe('OpenApiRequestValidator', () => {
  it('lists the operations and matches templated paths, a `{Sid}.json` segment included', () => {
    expect(validator.operationNames()).toEqual([
      'GET /v1/Things/{Sid}.json',
      'GET /v3/items',
      'POST /v1/Things/{Sid}/Messages.json',
      'PUT /v3/items',
    ]);
    expect(validator.match('GET', '/v1/Things/TH0001.json')).toMatchObject({
      name: 'GET /v1/Things/{Sid}.json',
      pathParams: { Sid: 'TH0001' },
    });
    expect(validator.match('DELETE', '/v3/items')).toBeUndefined();
  });

  it('reports an undocumented operation and a missing or wrong-scheme Authorization', () => {
    expect(fields(validator.validate(request('GET', '/v9/unknown')))).toEqual(['operation::operation']);
    expect(fields(validator.validate(request('GET', '/v1/Things/TH0001.json')))).toEqual(['security:Authorization:security']);
    expect(fields(validator.validate(request('GET', '/v3/items?ids=abc', { headers: { authorization: basic } })))).toEqual([
      'security:Authorization:security',
    ]);
    expect(fields(validator.validate(request('GET', '/v1/Things/TH0001.json', { headers: { authorization: basic } })))).toEqual([]);
  });

  it('checks path, query (coerced from text, comma-separated arrays) and header parameters', () => {
    const bearer = { authorization: 'Bearer token' };
    expect(fields(validator.validate(request('GET', '/v1/Things/nope.json', { headers: { authorization: basic } })))).toEqual([
      'path:Sid:pattern',
    ]);
    expect(fields(validator.validate(request('GET', '/v3/items?page_size=5&ids=abc,defg', { headers: bearer })))).toEqual([]);
    expect(fields(validator.validate(request('GET', '/v3/items?page_size=11&ids=abc,de', { headers: bearer })))).toEqual([
      'query:page_size:maximum',
      'query:ids.1:minLength',
    ]);
    expect(fields(validator.validate(request('GET', '/v3/items', { headers: bearer })))).toEqual(['query:ids:required']);
  });

  it('checks a form body with coercion, 3.0 nullable, $ref enums, required headers and x-twilio.conditional', () => {
    const post = (form: Record<string, string>, headers: Record<string, string> = { 'x-trace': 'ab' }) =>
      fields(
        validator.validate(request('POST', '/v1/Things/TH0001/Messages.json', { form, headers: { authorization: basic, ...headers } })),
      );
    expect(post({ To: '+1', From: '+2', Count: '3', Channel: 'sms' })).toEqual([]);
    expect(post({ To: '+1', From: '+2', Count: '0', Channel: 'fax' })).toEqual(['body:Count:minimum', 'body:Channel:enum']);
    expect(post({ To: '+1', From: '+2', Count: 'many' })).toEqual(['body:Count:type']);
    expect(post({ From: '+2' }, {})).toEqual(['header:X-Trace:required', 'body:To:required']);
    expect(post({ To: '+1' })).toEqual(['body:From|MessagingServiceSid:conditional']);
    expect(post({ To: '+1', MessagingServiceSid: 'MG1' })).toEqual([]);
  });

  it('checks an answer against the documented responses: status documented, body schema (3.0 nullable included)', () => {
    const get = { method: 'GET', path: '/v1/Things/TH0001.json' };
    expect(validator.validateResponse(get, 200, { sid: 'TH0001', status: 'sms', price: null })).toEqual([]);
    expect(
      validator.validateResponse(get, 200, { sid: 7, status: 'fax' }).map((violation) => `${violation.field}:${violation.keyword}`),
    ).toEqual(['sid:type', 'status:enum']);
    expect(validator.validateResponse(get, 418, {}).map((violation) => violation.keyword)).toEqual(['status']);
  });

  it('checks a JSON body as the schema says: additionalProperties, uniqueItems, formats, a required body, the content type', () => {
    const put = (json: unknown, headers: Record<string, string> = {}) =>
      fields(validator.validate(request('PUT', '/v3/items', { json, headers: { authorization: 'Bearer t', ...headers } })));
    expect(put({ tags: ['a', 'b'], email: 'a@example.com' })).toEqual([]);
    expect(put({ tags: ['a', 'a'], email: 'nope', extra: 1 })).toEqual([
      'body:extra:additionalProperties',
      'body:tags:uniqueItems',
      'body:email:format',
    ]);
    expect(fields(validator.validate(request('PUT', '/v3/items', { headers: { authorization: 'Bearer t' } })))).toEqual(['body::required']);
    expect(put({ tags: [] }, { 'content-type': 'text/plain' })).toEqual(['header:Content-Type:contentType']);
  });
});
