import adAccountSpec from '../../spec/codegen/AdAccount.json';
import customAudienceSpec from '../../spec/codegen/CustomAudience.json';
import enumTypes from '../../spec/codegen/enum_types.subset.json';
import guide from '../../spec/guide.json';

/**
 * Meta's Marketing API codegen specs (`spec/codegen`, from facebook/facebook-business-sdk-codegen, commit
 * and sha256 in `spec/SOURCES.json`) and what Meta's pages add to them (`spec/guide.json`: the inner
 * shape of `payload` and `session`, the schema keys, the required overrides), and a validator of one
 * Graph API request against them. Used by the fake (every request) and the capture-and-validate spec.
 */
interface SpecParam {
  name: string;
  required: boolean;
  type: string;
}
interface SpecApi {
  name?: string;
  method: string;
  endpoint?: string;
  return: string;
  params: SpecParam[];
}
interface NodeSpec {
  apis: SpecApi[];
  fields: { name: string; type: string }[];
}

const NODES: Record<string, NodeSpec> = { AdAccount: adAccountSpec as NodeSpec, CustomAudience: customAudienceSpec as NodeSpec };
const ENUMS = new Map((enumTypes as { name: string; values: string[] }[]).map((entry) => [entry.name, entry.values]));
export const SCHEMA_KEYS: readonly string[] = guide.schemaKeys;

/** Parameters every Graph API call takes besides its own. */
const GENERAL_PARAMS = new Set([
  'access_token',
  'appsecret_proof',
  'fields',
  'limit',
  'after',
  'before',
  'pretty',
  'locale',
  'suppress_http_code',
  'method',
  'format',
]);

/** A request the Graph API would refuse, with the parameter and Meta's message. */
export interface GraphViolation {
  param: string;
  message: string;
  /** `unknown_param`: Graph ignores unknown parameters, so the fake lets them pass; the capture spec counts them. */
  kind: 'invalid' | 'missing' | 'unknown_param' | 'nonexisting_field' | 'no_such_edge';
}

export interface GraphRoute {
  /** `AdAccount #get`, `CustomAudience POST users`, … */
  id: string;
  node: 'AdAccount' | 'CustomAudience';
  api: SpecApi;
}

/** The spec API a request calls: `/{v}/act_{id}` and its `customaudiences` edge, `/{v}/{audience-id}` and its edges. */
export function graphRoute(method: string, path: string): GraphRoute | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts.length < 2 || !/^v\d+\.\d+$/.test(parts[0])) return undefined;
  const node = parts[1].startsWith('act_') ? 'AdAccount' : /^\d+$/.test(parts[1]) ? 'CustomAudience' : undefined;
  if (!node) return undefined;
  const edge = parts[2];
  if (parts.length > 3) return undefined;
  const api = NODES[node].apis.find((candidate) =>
    edge === undefined
      ? candidate.name === { GET: '#get', POST: '#update', DELETE: '#delete' }[method] && candidate.method === method
      : candidate.endpoint === edge && candidate.method === method,
  );
  if (!api) return undefined;
  return { id: `${node} ${edge === undefined ? api.name : `${method} ${edge}`}`, node, api };
}

/** Everything wrong with one request (query and form body together, as Graph reads them). */
export function graphRequestViolations(request: {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}): GraphViolation[] {
  const route = graphRoute(request.method, request.path);
  if (!route)
    return [
      {
        param: '',
        message: `Unsupported ${request.method.toLowerCase()} request: no such node or edge (${request.path})`,
        kind: 'no_such_edge',
      },
    ];
  const params: Record<string, unknown> = {
    ...request.query,
    ...(request.body && typeof request.body === 'object' ? (request.body as object) : {}),
  };
  const violations: GraphViolation[] = [];
  const declared = new Map(route.api.params.map((param) => [param.name, param]));
  for (const [name, value] of Object.entries(params)) {
    const param = declared.get(name);
    if (!param) {
      if (name === 'fields') violations.push(...fieldsViolations(route, String(value)));
      else if (!GENERAL_PARAMS.has(name))
        violations.push({ param: name, message: `(#100) Param ${name} is not a parameter of this edge`, kind: 'unknown_param' });
      continue;
    }
    const problem = typeProblem(param.type, value);
    if (problem) violations.push({ param: name, message: `(#100) Param ${name} ${problem}`, kind: 'invalid' });
  }
  const required = new Set(route.api.params.filter((param) => param.required).map((param) => param.name));
  const overrides = (guide.requiredOverrides as Record<string, unknown>)[`${request.method} ${request.path.split('/').pop()}`];
  if (route.node === 'CustomAudience' && Array.isArray(overrides)) for (const name of overrides) required.add(name);
  for (const name of required)
    if (params[name] === undefined || params[name] === '')
      violations.push({ param: name, message: `(#100) The parameter ${name} is required`, kind: 'missing' });
  if (route.node === 'CustomAudience' && route.api.endpoint && ['users', 'usersreplace'].includes(route.api.endpoint)) {
    if (params.payload !== undefined) violations.push(...payloadViolations(params.payload));
    if (params.session !== undefined) violations.push(...sessionViolations(params.session));
  }
  return violations;
}

/** `fields=a,b` of a read: each must be a field of the node the call returns. */
function fieldsViolations(route: GraphRoute, fields: string): GraphViolation[] {
  const node = NODES[route.api.return];
  if (!node) return [];
  const known = new Set(node.fields.map((field) => field.name));
  return fields
    .split(',')
    .map((field) => field.trim().replace(/[.{].*$/, ''))
    .filter((field) => field && !known.has(field))
    .map((field) => ({
      param: 'fields',
      message: `(#100) Tried accessing nonexisting field (${field}) on node type (${route.api.return})`,
      kind: 'nonexisting_field' as const,
    }));
}

/** What is wrong with a value of a codegen type, or undefined. Form values arrive as strings. */
function typeProblem(type: string, value: unknown): string | undefined {
  const list = /^list<(.*)>$/.exec(type);
  if (list) {
    const items = typeof value === 'string' ? (parseJson(value) ?? value.split(',')) : value;
    if (!Array.isArray(items)) return `must be an array`;
    return items
      .map((item) => typeProblem(list[1], typeof item === 'string' || list[1] === 'Object' || list[1] === 'map' ? item : String(item)))
      .find(Boolean);
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const values = ENUMS.get(type);
  if (values) return values.includes(text) ? undefined : `must be one of {${values.join(', ')}}`;
  switch (type) {
    case 'bool':
      return ['true', 'false', '1', '0'].includes(text) ? undefined : 'must be a boolean';
    case 'int':
    case 'unsigned int':
      return /^\d+$/.test(text) || (type === 'int' && /^-\d+$/.test(text))
        ? undefined
        : `must be a${type === 'int' ? 'n' : 'n unsigned'} integer`;
    case 'Object':
    case 'map': {
      const parsed = typeof value === 'string' ? parseJson(value) : value;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? undefined : 'must be a JSON object';
    }
    default:
      return undefined;
  }
}

/** The users edges' `payload`: `{ schema, data }` with documented schema keys and rows as wide as the schema. */
function payloadViolations(raw: unknown): GraphViolation[] {
  const payload = (typeof raw === 'string' ? parseJson(raw) : raw) as Record<string, unknown> | undefined;
  const bad = (message: string): GraphViolation[] => [
    { param: 'payload', message: `(#100) Invalid parameter: ${message}`, kind: 'invalid' },
  ];
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return bad('payload must be a JSON object');
  const fields = Object.keys(guide.payload.fields);
  const unknown = Object.keys(payload).filter((key) => !fields.includes(key));
  if (unknown.length) return bad(`payload has unknown keys: ${unknown.join(', ')}`);
  const missing = guide.payload.required.filter((key) => payload[key] === undefined);
  if (missing.length) return bad(`payload.${missing[0]} is required`);
  const schema = typeof payload.schema === 'string' ? [payload.schema] : payload.schema;
  if (!Array.isArray(schema) || schema.length === 0) return bad('payload.schema must be a key or a list of keys');
  const unknownKeys = schema.filter((key) => typeof key !== 'string' || !SCHEMA_KEYS.includes(key));
  if (unknownKeys.length) return bad(`payload.schema has unknown keys: ${unknownKeys.join(', ')}`);
  if (!Array.isArray(payload.data) || payload.data.length === 0) return bad('payload.data must be a non-empty list');
  if (payload.data.length > guide.payload.maxRows)
    return bad(`too many users in one request: ${payload.data.length} (at most ${guide.payload.maxRows})`);
  const width = schema.length;
  const ragged = payload.data.findIndex((row) => (Array.isArray(row) ? row.length : 1) !== width);
  if (ragged >= 0) return bad(`payload.data[${ragged}] does not have ${width} values, one per schema key`);
  return [];
}

/** The session object: numeric `session_id`, `batch_seq` ≥ 1, boolean `last_batch_flag`, integer `estimated_num_total`. */
function sessionViolations(raw: unknown): GraphViolation[] {
  const session = (typeof raw === 'string' ? parseJson(raw) : raw) as Record<string, unknown> | undefined;
  const bad = (message: string): GraphViolation[] => [
    { param: 'session', message: `(#100) Invalid parameter: ${message}`, kind: 'invalid' },
  ];
  if (!session || typeof session !== 'object' || Array.isArray(session)) return bad('session must be a JSON object');
  const unknown = Object.keys(session).filter((key) => !(key in guide.session.fields));
  if (unknown.length) return bad(`session has unknown keys: ${unknown.join(', ')}`);
  const missing = guide.session.required.filter((key) => session[key] === undefined);
  if (missing.length) return bad(`session.${missing[0]} is required`);
  const integer = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value);
  if (!integer(session.session_id) || (session.session_id as number) <= 0)
    return bad('session.session_id must be a positive integer (int64)');
  if (!integer(session.batch_seq) || (session.batch_seq as number) < 1) return bad('session.batch_seq must be an integer from 1');
  if (typeof session.last_batch_flag !== 'boolean') return bad('session.last_batch_flag must be a boolean');
  if (session.estimated_num_total !== undefined && (!integer(session.estimated_num_total) || (session.estimated_num_total as number) < 0))
    return bad('session.estimated_num_total must be a non-negative integer');
  return [];
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
