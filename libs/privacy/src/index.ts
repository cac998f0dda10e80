export * from './audit-digest';
export * from './deletion-request.schema';
export * from './privacy-deletion.service';
export * from './privacy.module';
export * from './privacy.exception';
