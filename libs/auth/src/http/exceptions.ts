import { HttpException, HttpStatus, NotFoundException } from '@nestjs/common';
import type { Scope } from '../scopes';

/** 401: no credentials, or credentials that do not check out (the guard sets WWW-Authenticate). */
export class AuthenticationRequiredException extends HttpException {
  constructor(message = 'a valid bearer token or API key is required') {
    super({ statusCode: HttpStatus.UNAUTHORIZED, error: 'Unauthorized', message }, HttpStatus.UNAUTHORIZED);
  }
}

/** 403 naming what was missing, so an integrator knows which scope to ask for. */
export class MissingScopeException extends HttpException {
  constructor(readonly requiredScopes: readonly Scope[], readonly missingScopes: readonly Scope[]) {
    super(
      {
        statusCode: HttpStatus.FORBIDDEN,
        error: 'Forbidden',
        message: `this route needs scope ${missingScopes.map((scope) => `"${scope}"`).join(', ')}`,
        requiredScopes,
        missingScopes,
      },
      HttpStatus.FORBIDDEN,
    );
  }
}

/** 403 for a principal of the wrong kind, e.g. a customer token on an integration-only route. */
export class WrongRoleException extends HttpException {
  constructor(message: string) {
    super({ statusCode: HttpStatus.FORBIDDEN, error: 'Forbidden', message }, HttpStatus.FORBIDDEN);
  }
}

/** 404 for unknown stores and for other tenants' stores alike: whether a store exists must not leak. */
export class StoreNotFoundException extends NotFoundException {
  constructor(
    readonly storeCode: string,
    message = `store "${storeCode}" not found`,
  ) {
    super({ statusCode: HttpStatus.NOT_FOUND, error: 'Not Found', message, code: 'store_not_found' });
  }
}

/** 404 for a customer token addressing another customer. */
export class CustomerNotFoundException extends NotFoundException {
  constructor(readonly customerId: string) {
    super({ statusCode: HttpStatus.NOT_FOUND, error: 'Not Found', message: `customer "${customerId}" not found` });
  }
}

/** RFC 6749 section 5.2 error body, used by the token endpoints. */
export class OAuthErrorException extends HttpException {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope',
    description: string,
    status: HttpStatus = HttpStatus.BAD_REQUEST,
  ) {
    super({ error, error_description: description }, status);
  }
}
