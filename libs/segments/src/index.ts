export * from './cadence';
export * from './segment-input.schema';
export * from './segment-definition.gate';
export * from './segments.service';
export * from './segment-refresh.service';
export * from './segment-membership.service';
export * from './segment-scheduler.service';
export * from './segments.module';
