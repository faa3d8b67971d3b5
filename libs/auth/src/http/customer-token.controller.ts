import { Body, Controller, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { CUSTOMER_SCOPES, DEFAULT_CUSTOMER_SCOPES, formatScopes, parseScopeList, type Scope } from '../scopes';
import type { CustomerDirectory } from '../customer-directory.port';
import type { StoreRecord } from '../tenant-directory.port';
import { TokenService } from '../tokens/token.service';
import { CurrentStore, Principal, RequireScopes } from './decorators';
import { CustomerNotFoundException, OAuthErrorException } from './exceptions';
import { CUSTOMER_DIRECTORY } from './tokens';

// Customer ids come from shops (UUIDs, numbers, emails); ':' stays out because stream names split on it.
const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$/;

/** An integration acting for one of its customers mints a short-lived customer token for a customer-facing app. */
@Controller()
export class CustomerTokenController {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(CUSTOMER_DIRECTORY) private readonly customers: CustomerDirectory,
  ) {}

  @Post('api/:storeCode/customers/:customerId/token')
  @RequireScopes('customers:impersonate')
  @HttpCode(HttpStatus.OK)
  async mint(
    @Principal() principal: Principal,
    @CurrentStore() store: StoreRecord,
    @Param('customerId') customerId: string,
    @Body() body: unknown,
  ): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number; scope: string; customer_id: string; store_code: string }> {
    if (!CUSTOMER_ID_PATTERN.test(customerId)) {
      throw new OAuthErrorException('invalid_request', `customer id must match ${CUSTOMER_ID_PATTERN.source}`);
    }
    const requested = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).scope : undefined;
    let scopes: readonly Scope[] = DEFAULT_CUSTOMER_SCOPES;
    if (requested !== undefined) {
      const parsed = typeof requested === 'string' ? parseScopeList(requested) : undefined;
      if (!parsed || parsed.length === 0 || !parsed.every((scope) => CUSTOMER_SCOPES.includes(scope))) {
        throw new OAuthErrorException('invalid_scope', `a customer token may carry only: ${formatScopes(CUSTOMER_SCOPES)}`);
      }
      scopes = parsed;
    }
    // A customer never gets more than the client that vouches for it.
    const granted = scopes.filter((scope) => principal.scopes.includes(scope));
    if (granted.length === 0) throw new OAuthErrorException('invalid_scope', 'the client holds none of the scopes asked for');
    // a token for a customer the store has never seen would act for nobody (and pass every customer check)
    if (!(await this.customers.knownCustomer(store.tenant, store.storeCode, customerId))) throw new CustomerNotFoundException(customerId);
    const token = this.tokens.issueCustomerToken(principal, store, customerId, granted);
    return {
      access_token: token.accessToken,
      token_type: 'Bearer',
      expires_in: token.expiresIn,
      scope: formatScopes(token.scopes),
      customer_id: customerId,
      store_code: store.storeCode,
    };
  }
}
