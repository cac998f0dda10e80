export * from './bg-nbd';
export * from './clv-model';
export * from './clv.exception';
export * from './customer-summary';
export * from './gamma-gamma';
export * from './compile-clv-sql';
export * from './clv-definition.schema';
export * from './clv-segment';
