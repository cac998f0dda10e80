import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, Optional, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyService } from './api-key.service';
import { REQUIRED_ROLE, RouteAccess } from './auth.decorators';
import { roleSatisfies } from './roles';
import { APP_CONFIG } from '../config/config.module';
import { ApiException } from '../errors/api-exception';
import { KeyRateLimiter } from './key-rate-limiter';

/** The part of the config the guard reads (AK_ADMIN_RATE_*). */
export interface AdminRateConfig {
  AK_ADMIN_RATE_LIMIT?: number;
  AK_ADMIN_RATE_BURST?: number;
}

interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
  apiKey?: unknown;
}

/**
 * Global guard: resolves the presented key (Bearer; on the tracking routes also x-api-key or the
 * HTTP Basic user name) and checks the route's declared role. A route that declares nothing is refused (deny by default).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly limiter: KeyRateLimiter;

  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyService,
    @Optional() @Inject(APP_CONFIG) config?: AdminRateConfig,
  ) {
    this.limiter = new KeyRateLimiter(config?.AK_ADMIN_RATE_LIMIT ?? 600, config?.AK_ADMIN_RATE_BURST ?? 600);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<RouteAccess | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]);
    if (required === 'public') return true;
    if (!required) throw new ForbiddenException({ code: 'route_without_role', message: 'this route declares no role' });
    const request = context.switchToHttp().getRequest<RequestLike>();
    // HTTP Basic is what Segment's and RudderStack's libraries send, so the tracking routes take
    // it; admin routes take a bearer token only (Basic invites browsers' credential prompts and caches).
    if (required !== 'write' && !isBearer(request.headers)) {
      throw new UnauthorizedException({
        code: 'bearer_required',
        message: BEARER_REQUIRED_MESSAGE,
      });
    }
    const secret = presentedSecret(request.headers);
    if (!secret)
      throw new UnauthorizedException({
        code: 'missing_api_key',
        message: 'an API key is required (Authorization: Bearer <key>, or HTTP Basic with the key as user name)',
      });
    const key = await this.apiKeys.authenticate(secret);
    if (!key) throw new UnauthorizedException({ code: 'invalid_api_key', message: 'the API key is unknown or revoked' });
    if (!roleSatisfies(key.role, required)) {
      throw new ForbiddenException({
        code: 'insufficient_role',
        message: `this route requires a ${required} key; this key is ${key.role}`,
      });
    }
    // Admin routes only: ingestion write keys have their own path and limits (body size, batching).
    if (required !== 'write') this.limit(context, key.id);
    request.apiKey = key;
    return true;
  }

  private limit(context: ExecutionContext, keyId: string): void {
    const decision = this.limiter.take(keyId);
    if (decision.allowed) return;
    context
      .switchToHttp()
      .getResponse<{ setHeader(name: string, value: string): void }>()
      .setHeader('Retry-After', String(decision.retryAfterSeconds));
    throw new ApiException(429, 'rate_limited', `too many requests for this API key; retry after ${decision.retryAfterSeconds} s`);
  }
}

/** Why an admin route refuses a key sent any other way than Bearer (the guard and the body gate say the same). */
export const BEARER_REQUIRED_MESSAGE =
  'admin routes take the API key as Authorization: Bearer <key> (HTTP Basic and x-api-key are for the tracking routes only)';

/** The request presents its key as `Authorization: Bearer …`. */
export function isBearer(headers: RequestLike['headers']): boolean {
  const header = headers['authorization'];
  return (Array.isArray(header) ? header[0] : header)?.startsWith('Bearer ') ?? false;
}

export function presentedSecret(headers: RequestLike['headers']): string | undefined {
  const header = headers['authorization'];
  const authorization = Array.isArray(header) ? header[0] : header;
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim() || undefined;
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const user = decoded.split(':')[0];
    return user || undefined;
  }
  const xApiKey = headers['x-api-key'];
  return (Array.isArray(xApiKey) ? xApiKey[0] : xApiKey) || undefined;
}
