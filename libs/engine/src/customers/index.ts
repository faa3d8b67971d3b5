export * from './customer-registry';
export * from './customers';
export * from './customer-resolver';
