export * from './lease.port';
export * from './sqlite-lease-store';
export * from './mongo-lease-store';
