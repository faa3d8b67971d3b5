import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { BasicStrategy } from 'passport-http';
import { Strategy as BearerStrategy, type VerifyFunction } from 'passport-http-bearer';
import { ClientService } from '../client.service';
import type { Principal } from '../principal';
import { TokenService } from '../tokens/token.service';

export const AUTH_REALM = 'loyalty-engine';

/** `Authorization: Bearer <jwt>` (the header only) from POST /api/oauth/token or a customer-token mint. */
@Injectable()
export class BearerTokenStrategy extends PassportStrategy(BearerStrategy, 'loyalty-bearer') {
  constructor(@Inject(TokenService) private readonly tokens: TokenService) {
    super({ realm: AUTH_REALM });
  }

  /** Only the header: passport-http-bearer also reads `access_token` from the query and body, where tokens leak into logs and links. */
  override authenticate(...[request, options]: Parameters<BearerStrategy<VerifyFunction>['authenticate']>): void {
    super.authenticate({ headers: request.headers } as typeof request, options);
  }

  async validate(token: string): Promise<Principal | false> {
    const check = await this.tokens.verify(token);
    return check.ok ? check.principal : false;
  }
}

/** `Authorization: Basic <apiKey:apiSecret>` for dialects whose clients send API keys; same client, same scopes. */
@Injectable()
export class ApiKeyBasicStrategy extends PassportStrategy(BasicStrategy, 'loyalty-basic') {
  constructor(@Inject(ClientService) private readonly clients: ClientService) {
    super({ realm: AUTH_REALM });
  }

  async validate(apiKey: string, apiSecret: string): Promise<Principal | false> {
    const client = await this.clients.verifyApiKey(apiKey, apiSecret);
    if (!client) return false;
    return {
      tenant: client.tenant,
      clientId: client.clientId,
      scopes: client.scopes,
      role: 'client',
      via: 'api-key',
      ...(client.defaultStore !== undefined ? { defaultStore: client.defaultStore } : {}),
    };
  }
}
