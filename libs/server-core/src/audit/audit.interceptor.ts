import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Observable, mergeMap } from 'rxjs';
import type { AuthenticatedKey } from '../auth/api-key.service';
import { REQUIRED_ROLE } from '../auth/auth.decorators';
import { insertAuditEntry } from './audit-log.repository';

interface AuditedRequest {
  method: string;
  route?: { path?: string };
  params?: Record<string, string>;
  apiKey?: AuthenticatedKey;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Writes one audit row for every successful admin write: who (key id), what (method and route),
 * which object (route id, or the id of the created object), when. Ingestion is not audited here:
 * its events are their own record. The row is written before the response is sent.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuditedRequest>();
    const access = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]);
    if (!WRITE_METHODS.has(request.method) || access === 'write' || access === 'public') return next.handle();
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        await this.record(request, context, result);
        return result;
      }),
    );
  }

  private async record(request: AuditedRequest, context: ExecutionContext, result: unknown): Promise<void> {
    const route = request.route?.path ?? context.getHandler().name;
    const createdId = typeof result === 'object' && result !== null && 'id' in result ? String((result as { id: unknown }).id) : null;
    await insertAuditEntry(this.dataSource.manager, {
      actorKeyId: request.apiKey?.id ?? null,
      action: `${request.method} ${route}`,
      objectType: route.split('/').filter(Boolean)[0] ?? 'unknown',
      objectId: request.params?.id ?? createdId,
      details: { handler: `${context.getClass().name}.${context.getHandler().name}`, params: request.params ?? {} },
    });
  }
}
