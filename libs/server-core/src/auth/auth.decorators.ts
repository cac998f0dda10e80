import { SetMetadata, createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AdminRole } from './roles';
import type { AuthenticatedKey } from './api-key.service';

export const REQUIRED_ROLE = 'audiencekit:required-role';
export type RouteAccess = AdminRole | 'write' | 'public';

/** Declares who may call a route. Every route must declare one; the guard refuses undeclared routes. */
export const RequireRole = (role: AdminRole) => SetMetadata(REQUIRED_ROLE, role);
/** Ingestion routes: a source write key (HTTP Basic with the key as user name, as Segment clients send it). */
export const RequireWriteKey = () => SetMetadata(REQUIRED_ROLE, 'write');
/** Health probes and docs only. */
export const Public = () => SetMetadata(REQUIRED_ROLE, 'public');

/** The key that authenticated the request. */
export const CurrentKey = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedKey | undefined => {
  return context.switchToHttp().getRequest().apiKey;
});
