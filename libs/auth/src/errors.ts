/** Refusals of the tenancy registry; `code` is stable so the CLI and HTTP shells can map it. */
export type AuthErrorCode =
  | 'invalid_identifier'
  | 'invalid_currency'
  | 'invalid_secret'
  | 'invalid_scope'
  | 'tenant_not_found'
  | 'store_not_found'
  | 'alias_taken'
  | 'client_exists'
  | 'client_not_found'
  | 'invalid_config';

export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isAuthError(error: unknown, code?: AuthErrorCode): error is AuthError {
  return error instanceof AuthError && (code === undefined || error.code === code);
}
