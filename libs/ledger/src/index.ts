export * from './points';
export * from './events';
export * from './streams';
export * from './clock';
export * from './errors';
export * from './decider';
export * from './settings';
export * from './points-account';
