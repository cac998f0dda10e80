import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

export const API_ROUTE = 'audiencekit:api-route';

/** What the OpenAPI document says about a route; the schemas are the ones the handler validates with. */
export interface ApiRouteSpec {
  summary: string;
  body?: z.ZodType;
  /** Media type of the body when not JSON (a vendor's form-encoded callback: `application/x-www-form-urlencoded`). */
  bodyContentType?: string;
  query?: z.ZodType;
  response?: z.ZodType;
  /** Success status when not 200 (e.g. 201, 202, 204). */
  status?: number;
  tags?: string[];
}

export const ApiRoute = (spec: ApiRouteSpec) => SetMetadata(API_ROUTE, spec);
