export * from './customer-notifications';
export * from './email-delivery';
