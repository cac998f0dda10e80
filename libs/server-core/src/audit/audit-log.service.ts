import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditLogEntity } from '@audiencekit/persistence';
import { AuditLogFilter, listAuditEntries } from './audit-log.repository';

/** Reads of the audit log (`GET /audit-log`); the writes are the AuditInterceptor's. */
@Injectable()
export class AuditLogService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(filter: AuditLogFilter): Promise<{ items: AuditLogEntity[]; total: number }> {
    const [items, total] = await listAuditEntries(this.dataSource.manager, filter);
    return { items, total };
  }
}
