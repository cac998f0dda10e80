export * from './contract/connector-errors';
export * from './contract/connector-definition';
export * from './contract/members';
export * from './contract/personalise';
export * from './contract/http-errors';
export * from './contract/validate-definition';
