/** DI tokens for values that are not classes. */
export const AUTH_OPTIONS = Symbol('loyalty:auth-options');
export const TENANT_DIRECTORY = Symbol('loyalty:tenant-directory');
export const CUSTOMER_DIRECTORY = Symbol('loyalty:customer-directory');
