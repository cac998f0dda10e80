import { dirname, join, resolve } from 'node:path';
import { Enum, Field, Root, Type, common } from 'protobufjs';

/**
 * Google's Data Manager API protos (`plugins/google-ads/spec/protos`, copied verbatim from
 * github.com/googleapis/googleapis by `spec/extract.sh`, commit and sha256 in `spec/SOURCES.json`),
 * loaded with protobufjs, and a validator of JSON requests against them by the proto3 JSON mapping:
 * field names in lowerCamelCase (the proto name is accepted too, as Google's JSON parser does), enums
 * by name (or number), 64-bit integers as numbers or decimal strings, bytes as base64, Duration as
 * `"<seconds>s"`, Timestamp as RFC 3339. An unknown name is refused ("Invalid JSON payload received.
 * Unknown name …: Cannot find field."), and so is a field missing that the proto marks
 * `(google.api.field_behavior) = REQUIRED`. Used by the fake (every request) and by the
 * capture-and-validate spec.
 */
export const DATA_MANAGER_PACKAGE = 'google.ads.datamanager.v1';
export const SPEC_DIR = resolve(__dirname, '../../spec');
const PROTO_DIR = join(SPEC_DIR, 'protos');
const ROOT_FILES = ['ingestion_service.proto', 'user_list_service.proto', 'error.proto'].map((file) => `google/ads/datamanager/v1/${file}`);

export interface SpecViolation {
  /** Path of the offending field, snake_case as Google's BadRequest names it (`audience_members[0].user_data`). */
  field: string;
  description: string;
  /** An `ErrorReason` of error.proto. */
  reason: 'INVALID_ARGUMENT' | 'REQUIRED_FIELD_MISSING' | 'INVALID_ENUM_VALUE';
}

/** One HTTP binding of an RPC (its `google.api.http` option). */
export interface SpecRoute {
  rpc: string;
  method: string;
  /** The path template (`/v1/{name=accountTypes/*\/accounts/*\/userLists/*}`). */
  template: string;
  pattern: RegExp;
  requestType: Type;
  responseType: Type;
  /** `*` (the whole request), a field name, or undefined (no body: fields come from the path and query). */
  body?: string;
}

let cached: Root | undefined;

/** The loaded protos (once per process). */
export function dataManagerRoot(): Root {
  if (cached) return cached;
  const root = new Root();
  const protobufjsDir = dirname(require.resolve('protobufjs/package.json'));
  // google/protobuf/*: protobufjs's bundled copies (its "common" types, and descriptor.proto for the options).
  root.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') ? (common.get(target) ? target : join(protobufjsDir, target)) : join(PROTO_DIR, target);
  root.loadSync(ROOT_FILES, { keepCase: false });
  root.resolveAll();
  cached = root;
  return root;
}

export const specType = (name: string): Type => dataManagerRoot().lookupType(`${DATA_MANAGER_PACKAGE}.${name}`);
export const specEnum = (name: string): Enum => dataManagerRoot().lookupEnum(`${DATA_MANAGER_PACKAGE}.${name}`);
/** The names of an enum of the protos (e.g. `ErrorReason`, `ProcessingErrorReason`). */
export const specEnumValues = (name: string): string[] => Object.keys(specEnum(name).values);

/** Every HTTP route of the IngestionService and UserListService, from their `google.api.http` options. */
export function dataManagerRoutes(): SpecRoute[] {
  const root = dataManagerRoot();
  const routes: SpecRoute[] = [];
  for (const service of ['IngestionService', 'UserListService']) {
    for (const method of root.lookupService(`${DATA_MANAGER_PACKAGE}.${service}`).methodsArray) {
      const options = (method.options ?? {}) as Record<string, string>;
      const verb = ['get', 'post', 'patch', 'delete', 'put'].find((candidate) => options[`(google.api.http).${candidate}`]);
      if (!verb) continue;
      const template = options[`(google.api.http).${verb}`];
      method.resolve();
      routes.push({
        rpc: method.name,
        method: verb.toUpperCase(),
        template,
        pattern: templatePattern(template),
        requestType: method.resolvedRequestType as Type,
        responseType: method.resolvedResponseType as Type,
        body: options['(google.api.http).body'],
      });
    }
  }
  return routes;
}

/** `/v1/{name=accountTypes/*\/accounts/*\/userLists/*}` → a RegExp of the path. */
function templatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      if (!part.startsWith('{')) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      const [, inner] = /^\{[^=}]+(?:=(.*))?\}$/.exec(part) ?? [];
      return (inner ?? '*')
        .split('/')
        .map((segment) => (segment === '*' ? '[^/]+' : segment === '**' ? '.+' : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
        .join('/');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/** The route a request takes, if the protos declare one. */
export function routeOf(method: string, path: string): SpecRoute | undefined {
  return dataManagerRoutes().find((route) => route.method === method && route.pattern.test(path));
}

/** Query parameters every Google API takes ("system parameters"), not fields of the request. */
const SYSTEM_PARAMETERS = new Set(['$alt', 'alt', 'key', 'fields', 'prettyPrint', 'access_token', 'quotaUser', '$.xgafv', 'callback']);

/**
 * What is wrong with one HTTP request against the protos: no such route, or a body / query that is
 * not a valid JSON form of the RPC's request message.
 */
export function requestViolations(request: {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}): SpecViolation[] {
  const route = routeOf(request.method, request.path);
  if (!route)
    return [{ field: '', description: `No RPC of the Data Manager API at ${request.method} ${request.path}`, reason: 'INVALID_ARGUMENT' }];
  if (route.body === '*') return messageViolations(route.requestType, request.body ?? {}, '');
  // No body: the remaining fields come from the query string (`?requestId=…`), by their JSON or proto names.
  const pathFields = [...route.template.matchAll(/\{([^=}]+)/g)].map((match) => camel(match[1]));
  const fields: Record<string, unknown> = {};
  const violations: SpecViolation[] = [];
  for (const [key, value] of Object.entries(request.query)) {
    if (SYSTEM_PARAMETERS.has(key)) continue;
    const field = fieldOf(route.requestType, key);
    if (!field || pathFields.includes(field.name)) violations.push(unknownName(key, ''));
    else fields[field.name] = value;
  }
  const present = new Set([...Object.keys(fields), ...pathFields]);
  for (const field of route.requestType.fieldsArray)
    if (isRequired(field) && !present.has(field.name)) violations.push(required(field, ''));
  return violations;
}

/** Violations of a JSON value as the proto3 JSON form of `type`. */
export function messageViolations(type: Type, value: unknown, path: string): SpecViolation[] {
  const wellKnown = wellKnownViolation(type, value, path);
  if (wellKnown !== undefined) return wellKnown;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return [
      {
        field: path,
        description: `Invalid value at '${path}' (${type.fullName.slice(1)}), ${JSON.stringify(value)}`,
        reason: 'INVALID_ARGUMENT',
      },
    ];
  const violations: SpecViolation[] = [];
  const record = value as Record<string, unknown>;
  const setOneofs = new Map<string, string[]>();
  for (const [key, item] of Object.entries(record)) {
    const field = fieldOf(type, key);
    if (!field) {
      violations.push(unknownName(key, path));
      continue;
    }
    if (item === null) continue;
    const at = join2(path, snake(field.name));
    if (field.partOf && !field.partOf.name.startsWith('_'))
      setOneofs.set(field.partOf.name, [...(setOneofs.get(field.partOf.name) ?? []), snake(field.name)]);
    if (field.map) {
      if (typeof item !== 'object' || Array.isArray(item)) violations.push(invalid(at, field, item));
    } else if (field.repeated) {
      if (!Array.isArray(item)) violations.push(invalid(at, field, item));
      else item.forEach((element, index) => violations.push(...fieldValueViolations(field, element, `${at}[${index}]`)));
    } else violations.push(...fieldValueViolations(field, item, at));
  }
  for (const [oneof, names] of setOneofs) {
    if (names.length > 1)
      violations.push({
        field: path,
        description: `Invalid JSON payload received. Multiple values for oneof "${snake(oneof)}": ${names.join(', ')}`,
        reason: 'INVALID_ARGUMENT',
      });
  }
  // REQUIRED: present and not null (a repeated field: not empty).
  const values = new Map(Object.entries(record).map(([key, item]) => [fieldOf(type, key), item]));
  for (const field of type.fieldsArray) {
    const item = values.get(field);
    const missing = item === undefined || item === null || (field.repeated && Array.isArray(item) && item.length === 0);
    if (isRequired(field) && missing) violations.push(required(field, path));
  }
  return violations;
}

function fieldValueViolations(field: Field, value: unknown, path: string): SpecViolation[] {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof Type) return messageViolations(resolved, value, path);
  if (resolved instanceof Enum) {
    if (typeof value === 'number' && Number.isInteger(value)) return [];
    if (typeof value === 'string' && value in resolved.values) return [];
    return [
      {
        field: path,
        description: `Invalid value at '${path}' (type.googleapis.com/${resolved.fullName.slice(1)}), ${JSON.stringify(value)}`,
        reason: 'INVALID_ENUM_VALUE',
      },
    ];
  }
  return scalarOk(field.type, value) ? [] : [invalid(path, field, value)];
}

const INT64 = /^-?\d+$/;
function scalarOk(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'bytes':
      return typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value);
    case 'double':
    case 'float':
      return (
        typeof value === 'number' ||
        (typeof value === 'string' && (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value) || ['NaN', 'Infinity', '-Infinity'].includes(value)))
      );
    default:
      // int32, int64, uint32, uint64, sint*, fixed*, sfixed*: a JSON number or a decimal string.
      return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && INT64.test(value));
  }
}

/** Duration, Timestamp and the Struct family have their own JSON forms. */
function wellKnownViolation(type: Type, value: unknown, path: string): SpecViolation[] | undefined {
  const name = type.fullName;
  const bad = (form: string): SpecViolation[] => [
    {
      field: path,
      description: `Invalid value at '${path}' (${name.slice(1)}), ${JSON.stringify(value)}: expected ${form}`,
      reason: 'INVALID_ARGUMENT',
    },
  ];
  if (name === '.google.protobuf.Duration')
    return typeof value === 'string' && /^-?\d+(\.\d{1,9})?s$/.test(value) ? [] : bad('"<seconds>s"');
  if (name === '.google.protobuf.Timestamp')
    return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.test(value)
      ? []
      : bad('an RFC 3339 time');
  if (['.google.protobuf.Struct', '.google.protobuf.Value', '.google.protobuf.ListValue', '.google.protobuf.Any'].includes(name)) return [];
  return undefined;
}

/** The field a JSON key names: its lowerCamel JSON name or its proto (snake_case) name. */
function fieldOf(type: Type, key: string): Field | undefined {
  const field = type.fields[key] ?? type.fields[camel(key)];
  return field && (field.name === key || snake(field.name) === key) ? field : undefined;
}

function isRequired(field: Field): boolean {
  return (field.parsedOptions ?? []).some((option: Record<string, unknown>) => option['(google.api.field_behavior)'] === 'REQUIRED');
}

const unknownName = (key: string, path: string): SpecViolation => ({
  field: path,
  description: `Invalid JSON payload received. Unknown name "${key}"${path ? ` at '${path}'` : ''}: Cannot find field.`,
  reason: 'INVALID_ARGUMENT',
});
const required = (field: Field, path: string): SpecViolation => ({
  field: join2(path, snake(field.name)),
  description: 'Required field is missing.',
  reason: 'REQUIRED_FIELD_MISSING',
});
const invalid = (path: string, field: Field, value: unknown): SpecViolation => ({
  field: path,
  description: `Invalid value at '${path}' (TYPE_${field.type.toUpperCase()}${field.repeated ? ', repeated' : ''}), ${JSON.stringify(value)}`,
  reason: 'INVALID_ARGUMENT',
});
const join2 = (path: string, name: string): string => (path ? `${path}.${name}` : name);
const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
const snake = (name: string): string => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
