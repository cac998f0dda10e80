import { z } from 'zod';
import { RouteDescriptor } from './route-catalog.service';

type JsonSchema = Record<string, unknown>;

const errorBodySchema = z.object({
  statusCode: z.number().int(),
  code: z.string(),
  message: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonSchema;
}

/** `/segments/:id` → `/segments/{id}` */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parametersOf(route: RouteDescriptor): JsonSchema[] {
  const pathParams = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = route.spec?.query ? toSchema(route.spec.query, 'input') : undefined;
  const properties = (query?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((query?.required as string[] | undefined) ?? []);
  const queryParams = Object.entries(properties).map(([name, schema]) => ({ name, in: 'query', required: required.has(name), schema }));
  return [...pathParams, ...queryParams];
}

function operationOf(route: RouteDescriptor): JsonSchema {
  const spec = route.spec;
  const status = String(spec?.status ?? (route.method === 'POST' ? 201 : 200));
  const errorResponse = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } };
  const isPublic = route.access === 'public';
  return {
    summary: spec?.summary ?? route.handler,
    operationId: route.handler,
    tags: spec?.tags ?? [route.path.split('/')[1] || 'root'],
    'x-required-role': route.access ?? 'undeclared',
    security: isPublic ? [] : route.access === 'write' ? [{ writeKey: [] }] : [{ apiKey: [] }],
    parameters: parametersOf(route),
    ...(spec?.body
      ? {
          requestBody: {
            required: true,
            content: { [spec.bodyContentType ?? 'application/json']: { schema: toSchema(spec.body, 'input') } },
          },
        }
      : {}),
    responses: {
      [status]: spec?.response
        ? { description: 'success', content: { 'application/json': { schema: toSchema(spec.response, 'output') } } }
        : { description: 'success' },
      ...(isPublic ? {} : { '401': errorResponse, '403': errorResponse }),
      '400': errorResponse,
    },
  };
}

/** Builds the OpenAPI 3.0 document from the live route catalog and the handlers' own zod schemas. */
export function buildOpenApiDocument(routes: RouteDescriptor[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...(paths[path] ?? {}), [route.method.toLowerCase()]: operationOf(route) };
  }
  return {
    openapi: '3.0.3',
    info: {
      ...info,
      description:
        'audiencekit admin and tracking API. Admin routes take `Authorization: Bearer <key>`; tracking routes take HTTP Basic with the write key as user name.',
    },
    paths,
    components: {
      schemas: { ErrorBody: toSchema(errorBodySchema, 'output') },
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'admin, marketer or viewer API key' },
        writeKey: { type: 'http', scheme: 'basic', description: 'source write key as the user name, empty password' },
      },
    },
  };
}
