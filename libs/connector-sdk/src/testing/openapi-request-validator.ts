import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { RecordedRequest } from './fake-vendor-server';

/**
 * Checks recorded HTTP requests against a vendor's own OpenAPI documents (3.0 or 3.1): the
 * operation (method + path template), path / query / header parameters, the security scheme's
 * Authorization header, the content type and the body schema, with ajv (JSON Schema draft-07 for
 * OpenAPI 3.0, 2020-12 for 3.1; ajv-formats for `email`, `uri`, `uuid`, `date-time`...). Every
 * keyword of the vendor's schema applies as written (`required`, `minLength`/`maxLength`, `enum`,
 * `uniqueItems`, `additionalProperties`, `minimum`/`maximum`...): the validator adds nothing and
 * relaxes nothing, except that vendor formats ajv does not know (`phone-number`, ...) are not
 * checked. Form-encoded bodies and query strings are text, so their values are coerced to the
 * schema's types first (`"36000"` for an integer). Twilio's `x-twilio.conditional` (at least one
 * parameter of each group) is checked too.
 *
 * Used by the fake vendors (to refuse what the vendor would) and by the capture-and-validate
 * specs (to check what a connector sent).
 */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  security?: Record<string, string[]>[];
  [key: string]: unknown;
}

export type OpenApiViolationLocation = 'operation' | 'security' | 'path' | 'query' | 'header' | 'body';

export interface OpenApiViolation {
  location: OpenApiViolationLocation;
  /**
   * The parameter's name, or the body field in dot notation (`personalizations.0.subject`,
   * `contacts.3.email`), `''` for the body itself.
   */
  field: string;
  /** The JSON Schema keyword that failed (`maxLength`, `required`...) or `operation`, `security`, `contentType`, `conditional`. */
  keyword: string;
  message: string;
  params: Record<string, unknown>;
}

export interface OpenApiOperationRef {
  /** `METHOD /path/{template}` as in the document. */
  name: string;
  method: string;
  pathTemplate: string;
  operationId?: string;
  /** Path parameters taken from the request path. */
  pathParams: Record<string, string>;
}

export interface OpenApiCheck {
  operation?: OpenApiOperationRef;
  violations: OpenApiViolation[];
}

type RequestLike = Pick<RecordedRequest, 'method' | 'path' | 'query' | 'headers' | 'rawBody' | 'body'>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, unknown>;
  style?: string;
  explode?: boolean;
}

interface CompiledOperation {
  ref: Omit<OpenApiOperationRef, 'pathParams'>;
  pattern: RegExp;
  names: string[];
  literalLength: number;
  parameters: { parameter: Parameter; validate?: ValidateFunction }[];
  security: Record<string, string[]>[];
  schemes: Record<string, { type?: string; scheme?: string; in?: string; name?: string }>;
  body?: { required: boolean; content: Record<string, { validate?: ValidateFunction; requiredProperties: string[] }> };
  conditional: string[][];
  /** Documented responses: status (or `default`) → JSON schema validator, `undefined` when the status has no body. */
  responses: Record<string, ValidateFunction | undefined>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

export class OpenApiRequestValidator {
  private readonly operations: CompiledOperation[] = [];

  constructor(documents: OpenApiDocument[]) {
    documents.forEach((document, index) => this.addDocument(document, index));
    // Most literal characters first: `/lists/{id}/contacts` before `/lists/{id}`-like clashes.
    this.operations.sort((a, b) => b.literalLength - a.literalLength);
  }

  /** Every operation of the documents, `METHOD /path/{template}`. */
  operationNames(): string[] {
    return this.operations.map((operation) => operation.ref.name).sort();
  }

  /** The documented operation a request is for, if any. */
  match(method: string, path: string): OpenApiOperationRef | undefined {
    const found = this.find(method, path);
    return found && { ...found.operation.ref, pathParams: found.params };
  }

  validate(request: RequestLike): OpenApiCheck {
    const found = this.find(request.method, request.path);
    if (!found)
      return {
        violations: [
          violation('operation', '', 'operation', `${request.method.toUpperCase()} ${request.path} is not a documented operation`),
        ],
      };
    const { operation, params } = found;
    const violations: OpenApiViolation[] = [
      ...checkSecurity(operation, request),
      ...checkParameters(operation, request, params),
      ...checkBody(operation, request),
    ];
    return { operation: { ...operation.ref, pathParams: params }, violations };
  }

  /**
   * Checks an answer against the operation's documented responses: the status must be documented
   * (or a `default` given), and a JSON body must match that response's schema.
   */
  validateResponse(request: Pick<RequestLike, 'method' | 'path'>, status: number, body: unknown): OpenApiViolation[] {
    const found = this.find(request.method, request.path);
    if (!found)
      return [violation('operation', '', 'operation', `${request.method.toUpperCase()} ${request.path} is not a documented operation`)];
    const responses = found.operation.responses;
    const key = String(status) in responses ? String(status) : 'default' in responses ? 'default' : undefined;
    if (key === undefined)
      return [
        violation('body', '', 'status', `${status} is not a documented answer of ${found.operation.ref.name}`, {
          documented: Object.keys(responses),
        }),
      ];
    const validate = responses[key];
    if (!validate || body === undefined) return [];
    return validate(body) ? [] : fromAjv(validate.errors, 'body', '');
  }

  private find(method: string, path: string): { operation: CompiledOperation; params: Record<string, string> } | undefined {
    const upper = method.toUpperCase();
    for (const operation of this.operations) {
      if (operation.ref.method !== upper) continue;
      const match = operation.pattern.exec(path);
      if (!match) continue;
      const params = Object.fromEntries(operation.names.map((name, i) => [name, safeDecode(match[i + 1])]));
      return { operation, params };
    }
    return undefined;
  }

  private addDocument(source: OpenApiDocument, index: number): void {
    const is31 = source.openapi.startsWith('3.1');
    const document = is31 ? structuredClone(source) : nullableToTypes(structuredClone(source));
    const id = `openapi-${index}`;
    const strictAjv = makeAjv(is31, false);
    const coercingAjv = makeAjv(is31, true);
    strictAjv.addSchema(document as object, id);
    coercingAjv.addSchema(document as object, id);
    const compile = (ajv: Ajv, pointer: string) => ajv.compile({ $ref: `${id}#${pointer.split('/').map(encodeURIComponent).join('/')}` });
    const schemes = (document.components?.securitySchemes ?? {}) as CompiledOperation['schemes'];

    for (const [path, rawItem] of Object.entries(document.paths)) {
      const item = rawItem as Record<string, unknown>;
      const pathParameters = (item.parameters as unknown[] | undefined) ?? [];
      for (const method of METHODS) {
        const operation = item[method] as Record<string, unknown> | undefined;
        if (!operation) continue;
        const base = `/paths/${escapePointer(path)}/${method}`;
        const parameters = mergeParameters(
          document,
          pathParameters.map((node, i) => ({ node, pointer: `/paths/${escapePointer(path)}/parameters/${i}` })),
          ((operation.parameters as unknown[] | undefined) ?? []).map((node, i) => ({ node, pointer: `${base}/parameters/${i}` })),
        ).map(({ parameter, pointer }) => ({
          parameter,
          validate: parameter.schema ? compile(coercingAjv, `${pointer}/schema`) : undefined,
        }));
        const { pattern, names, literalLength } = compilePath(path);
        const requestBody = resolveRef(document, operation.requestBody) as
          { required?: boolean; content?: Record<string, { schema?: Record<string, unknown> }> } | undefined;
        const bodyPointer = refPointer(operation.requestBody) ?? `${base}/requestBody`;
        let body: CompiledOperation['body'];
        if (requestBody?.content) {
          body = { required: requestBody.required === true, content: {} };
          for (const [type, media] of Object.entries(requestBody.content)) {
            const schemaPointer = `${bodyPointer}/content/${escapePointer(type)}/schema`;
            const form = type.includes('x-www-form-urlencoded') || type.includes('multipart/form-data');
            const schema = resolveRef(document, media.schema) as { required?: string[] } | undefined;
            body.content[type] = {
              validate: media.schema ? compile(form ? coercingAjv : strictAjv, schemaPointer) : undefined,
              requiredProperties: schema?.required ?? [],
            };
          }
        }
        const responses: CompiledOperation['responses'] = {};
        for (const [status, raw] of Object.entries((operation.responses ?? {}) as Record<string, unknown>)) {
          const response = resolveRef(document, raw) as { content?: Record<string, { schema?: unknown }> } | undefined;
          const pointer = refPointer(raw) ?? `${base}/responses/${escapePointer(status)}`;
          const json = Object.keys(response?.content ?? {}).find((type) => type.includes('json'));
          responses[status] =
            json && response?.content?.[json]?.schema ? compile(strictAjv, `${pointer}/content/${escapePointer(json)}/schema`) : undefined;
        }
        const xTwilio = operation['x-twilio'] as { conditional?: string[][] } | undefined;
        this.operations.push({
          ref: {
            name: `${method.toUpperCase()} ${path}`,
            method: method.toUpperCase(),
            pathTemplate: path,
            operationId: operation.operationId as string | undefined,
          },
          pattern,
          names,
          literalLength,
          parameters,
          security: (operation.security as Record<string, string[]>[] | undefined) ?? document.security ?? [],
          schemes,
          body,
          conditional: xTwilio?.conditional ?? [],
          responses,
        });
      }
    }
  }
}

/** Checks every request and groups them by operation: what a capture-and-validate spec asserts on. */
export function checkCapturedRequests(
  validator: OpenApiRequestValidator,
  requests: RequestLike[],
): { seen: Record<string, number>; failures: { request: string; violations: OpenApiViolation[] }[] } {
  const seen: Record<string, number> = {};
  const failures: { request: string; violations: OpenApiViolation[] }[] = [];
  for (const request of requests) {
    const check = validator.validate(request);
    if (check.operation) seen[check.operation.name] = (seen[check.operation.name] ?? 0) + 1;
    if (check.violations.length > 0)
      failures.push({ request: `${request.method} ${request.path} ${request.rawBody.slice(0, 300)}`, violations: check.violations });
  }
  return { seen, failures };
}

function makeAjv(is31: boolean, coerce: boolean): Ajv {
  const options = {
    strict: false,
    validateSchema: false,
    allErrors: true,
    logger: false as const,
    coerceTypes: coerce ? ('array' as const) : false,
    // Vendor formats ajv does not know are documentation, not constraints here.
    formats: { 'phone-number': true, 'http-method': true, 'uri-template': true, 'date-time-rfc-2822': true } as const,
  };
  const ajv = is31 ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  return ajv;
}

function checkSecurity(operation: CompiledOperation, request: RequestLike): OpenApiViolation[] {
  if (operation.security.length === 0) return [];
  const header = String(request.headers.authorization ?? '');
  const satisfied = operation.security.some((requirement) =>
    Object.keys(requirement).every((name) => {
      const scheme = operation.schemes[name];
      if (!scheme) return false;
      if (scheme.type === 'http' && scheme.scheme?.toLowerCase() === 'bearer') return /^Bearer \S+$/.test(header);
      if (scheme.type === 'http' && scheme.scheme?.toLowerCase() === 'basic') {
        const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
        return !!match && Buffer.from(match[1], 'base64').toString('utf8').includes(':');
      }
      if (scheme.type === 'apiKey' && scheme.in === 'header' && scheme.name) return !!request.headers[scheme.name.toLowerCase()];
      return true;
    }),
  );
  if (satisfied) return [];
  const names = operation.security.map((requirement) => Object.keys(requirement).join('+')).join(' or ');
  return [violation('security', 'Authorization', 'security', `credentials required (${names})`)];
}

function checkParameters(operation: CompiledOperation, request: RequestLike, pathParams: Record<string, string>): OpenApiViolation[] {
  const violations: OpenApiViolation[] = [];
  for (const { parameter, validate } of operation.parameters) {
    const raw = rawParameter(parameter, request, pathParams);
    if (raw === undefined) {
      if (parameter.required)
        violations.push(violation(parameter.in as OpenApiViolationLocation, parameter.name, 'required', `${parameter.name} is required`));
      continue;
    }
    if (!validate) continue;
    if (!validate(parameterValue(parameter, raw)))
      violations.push(...fromAjv(validate.errors, parameter.in as OpenApiViolationLocation, parameter.name));
  }
  return violations;
}

function rawParameter(parameter: Parameter, request: RequestLike, pathParams: Record<string, string>): string | undefined {
  if (parameter.in === 'path') return pathParams[parameter.name];
  if (parameter.in === 'query') return request.query[parameter.name];
  if (parameter.in === 'header') {
    const value = request.headers[parameter.name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

/** Query and path values are text; a non-exploded array is comma separated. */
function parameterValue(parameter: Parameter, raw: string): unknown {
  const schema = parameter.schema as { type?: string } | undefined;
  if (schema?.type === 'array') return raw.split(',');
  return raw;
}

function checkBody(operation: CompiledOperation, request: RequestLike): OpenApiViolation[] {
  const body = operation.body;
  if (!body) return [];
  const empty = request.rawBody === '';
  if (empty) {
    if (body.required) return [violation('body', '', 'required', 'a request body is required')];
    const required = Object.values(body.content).flatMap((media) => media.requiredProperties);
    return required.map((name) => violation('body', name, 'required', `must have required property '${name}'`, { missingProperty: name }));
  }
  const contentType = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  const media = body.content[contentType];
  if (!media)
    return [
      violation(
        'header',
        'Content-Type',
        'contentType',
        `content type ${contentType || '(none)'} is not one of ${Object.keys(body.content).join(', ')}`,
      ),
    ];
  const violations: OpenApiViolation[] = [];
  if (request.body === undefined) return [violation('body', '', 'type', `the body is not valid ${contentType}`)];
  // Coercion (form bodies) changes the data: validate a copy.
  const data = structuredClone(request.body);
  if (media.validate && !media.validate(data)) violations.push(...fromAjv(media.validate.errors, 'body', ''));
  for (const group of operation.conditional) {
    const names = group.map((name) => formName(data, name));
    if (!names.some((name) => name !== undefined && hasValue(data, name)))
      violations.push(
        violation('body', group.map(pascal).join('|'), 'conditional', `one of ${group.map(pascal).join(', ')} is required`, {
          oneOf: group.map(pascal),
        }),
      );
  }
  return violations;
}

/** `messaging_service_sid` → the body's own spelling (`MessagingServiceSid`), when present. */
function formName(data: unknown, snake: string): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const flat = snake.replace(/_/g, '').toLowerCase();
  return Object.keys(data).find((key) => key.replace(/_/g, '').toLowerCase() === flat);
}

function hasValue(data: unknown, key: string): boolean {
  const value = (data as Record<string, unknown>)[key];
  return value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0);
}

function pascal(snake: string): string {
  return snake
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function fromAjv(errors: ErrorObject[] | null | undefined, location: OpenApiViolationLocation, prefix: string): OpenApiViolation[] {
  const out: OpenApiViolation[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    const segments = error.instancePath
      .split('/')
      .slice(1)
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
    if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
    const field = [prefix, ...segments].filter((part) => part !== '').join('.');
    const key = `${field}|${error.keyword}|${error.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(violation(location, field, error.keyword, `${field || 'body'} ${error.message ?? 'is invalid'}`, error.params));
  }
  return out;
}

function violation(
  location: OpenApiViolationLocation,
  field: string,
  keyword: string,
  message: string,
  params: Record<string, unknown> = {},
): OpenApiViolation {
  return { location, field, keyword, message, params };
}

function compilePath(template: string): { pattern: RegExp; names: string[]; literalLength: number } {
  const names: string[] = [];
  let literalLength = 0;
  const source = template.replace(/\{([^}]+)\}|[^{]+/g, (part, name: string | undefined) => {
    if (name !== undefined) {
      names.push(name);
      return '([^/]+?)';
    }
    literalLength += part.length;
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return { pattern: new RegExp(`^${source}$`), names, literalLength };
}

type PointedNode = { node: unknown; pointer: string };

/** Path-level then operation-level parameters (the latter win), each with the pointer of its definition. */
function mergeParameters(
  document: OpenApiDocument,
  pathLevel: PointedNode[],
  operationLevel: PointedNode[],
): { parameter: Parameter; pointer: string }[] {
  const byKey = new Map<string, { parameter: Parameter; pointer: string }>();
  for (const { node, pointer } of [...pathLevel, ...operationLevel]) {
    const parameter = resolveRef(document, node) as Parameter;
    byKey.set(`${parameter.in}:${parameter.name}`, { parameter, pointer: refPointer(node) ?? pointer });
  }
  return [...byKey.values()];
}

/** The JSON pointer a `$ref` points to. */
function refPointer(node: unknown): string | undefined {
  if (node && typeof node === 'object' && '$ref' in node) return String((node as { $ref: string }).$ref).replace(/^#/, '');
  return undefined;
}

function resolveRef(document: OpenApiDocument, node: unknown): unknown {
  let current = node;
  for (let depth = 0; depth < 10 && current && typeof current === 'object' && '$ref' in current; depth += 1) {
    const pointer = String((current as { $ref: string }).$ref).replace(/^#/, '');
    current = pointer
      .split('/')
      .slice(1)
      .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
  }
  return current;
}

function escapePointer(part: string): string {
  return part.replace(/~/g, '~0').replace(/\//g, '~1');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** OpenAPI 3.0's `nullable: true` as JSON Schema: `type: [T, 'null']`. */
function nullableToTypes<T>(node: T): T {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (record.nullable === true && typeof record.type === 'string') record.type = [record.type, 'null'];
      Object.values(record).forEach(visit);
    }
  };
  visit(node);
  return node;
}
