import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AuditLogEntity } from '@audiencekit/persistence';

/** Every query of `audit_log` made by the HTTP layer. Golden SQL: `__golden__/audit-log.repository.sql`. */

export async function insertAuditEntry(manager: EntityManager, entry: QueryDeepPartialEntity<AuditLogEntity>): Promise<void> {
  await manager.getRepository(AuditLogEntity).insert(entry);
}

export interface AuditLogFilter {
  limit: number;
  offset: number;
  objectType?: string;
  objectId?: string;
  actorKeyId?: string;
  action?: string;
}

/** A page of entries (newest first) and the total matching the filter. */
export async function listAuditEntries(manager: EntityManager, filter: AuditLogFilter): Promise<[AuditLogEntity[], number]> {
  const where = {
    ...(filter.objectType ? { objectType: filter.objectType } : {}),
    ...(filter.objectId ? { objectId: filter.objectId } : {}),
    ...(filter.actorKeyId ? { actorKeyId: filter.actorKeyId } : {}),
    ...(filter.action ? { action: filter.action } : {}),
  };
  return manager.getRepository(AuditLogEntity).findAndCount({ where, order: { id: 'DESC' }, take: filter.limit, skip: filter.offset });
}
