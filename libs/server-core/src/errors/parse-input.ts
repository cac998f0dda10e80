import { z } from 'zod';
import { ApiException, zodIssuesToDetails } from './api-exception';

/**
 * Validates a request part against a zod schema; on failure answers 400 `invalid_request` with one
 * detail per problem (path and reason). The same schemas feed the OpenAPI document.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' = 'body'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = zodIssuesToDetails(parsed.error.issues, where === 'body' ? '' : where);
  throw new ApiException(
    400,
    'invalid_request',
    `invalid ${where}: ${details.map((d) => `${d.path || '(root)'} ${d.message}`).join('; ')}`,
    details,
  );
}

/** Standard pagination query: `?limit=&offset=` (limit 1–500, default 50). */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
