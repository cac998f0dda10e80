import { Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyService } from './api-key.service';

/** API keys, the global role guard and the audit log of admin writes. */
@Global()
@Module({
  providers: [ApiKeyService, { provide: APP_GUARD, useClass: ApiKeyGuard }, { provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
  exports: [ApiKeyService],
})
export class AuthModule {}
