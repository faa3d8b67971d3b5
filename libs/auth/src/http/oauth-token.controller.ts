import { Controller, HttpStatus, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientService } from '../client.service';
import { formatScopes, parseScopeList, type Scope } from '../scopes';
import { TokenService } from '../tokens/token.service';
import { TokenEndpointThrottlerGuard } from './auth.guard';
import { basicCredentials } from './basic-credentials';
import { FailedAuthentications } from './failed-authentications';
import { AUTH_REALM } from './strategies';
import { PublicRoute } from './decorators';

type OAuthError = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope' | 'slow_down';

interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  viaBasic: boolean;
}

class OAuthRefusal {
  constructor(
    readonly error: OAuthError,
    readonly description: string,
    readonly status: HttpStatus = HttpStatus.BAD_REQUEST,
    readonly basicChallenge = false,
    readonly retryAfterSeconds?: number,
  ) {}
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new OAuthRefusal('invalid_request', `${field} must be a single string`);
  return value;
}

function readCredentials(request: FastifyRequest, body: Record<string, unknown>): ClientCredentials {
  const bodyId = optionalString(body, 'client_id');
  const bodySecret = optionalString(body, 'client_secret');
  const basic = basicCredentials(request.headers.authorization);
  if (basic === 'malformed') throw new OAuthRefusal('invalid_client', 'malformed Basic credentials', HttpStatus.UNAUTHORIZED, true);
  if (basic) {
    if (bodyId !== undefined || bodySecret !== undefined) {
      throw new OAuthRefusal('invalid_request', 'send client credentials either in the Authorization header or in the body, not both');
    }
    return { ...basic, viaBasic: true };
  }
  if (!bodyId || !bodySecret) {
    throw new OAuthRefusal('invalid_client', 'client_id and client_secret are required', HttpStatus.UNAUTHORIZED);
  }
  return { clientId: bodyId, clientSecret: bodySecret, viaBasic: false };
}

/**
 * The OAuth2 client-credentials grant: JSON or form body, or HTTP Basic client authentication. Also at
 * `/oauth/token`, where Emporix clients ask for their service token, so they only change the host.
 */
@Controller()
export class OAuthTokenController {
  constructor(
    @Inject(ClientService) private readonly clients: ClientService,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(FailedAuthentications) private readonly failures: FailedAuthentications,
  ) {}

  @Post(['api/oauth/token', 'oauth/token'])
  @PublicRoute('the client-credentials grant: the credentials are its body or Basic header')
  @UseGuards(TokenEndpointThrottlerGuard)
  async issue(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // RFC 6749 5.1: token responses, successful or not, must never be cached.
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    try {
      const body = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
      const credentials = readCredentials(request, body);
      const grantType = optionalString(body, 'grant_type');
      if (grantType === undefined) throw new OAuthRefusal('invalid_request', 'grant_type is required');
      if (grantType !== 'client_credentials') {
        throw new OAuthRefusal('unsupported_grant_type', 'only grant_type=client_credentials is supported');
      }
      // failures count per client, or per address for ids nobody holds, so no guesser slows down anyone else
      const subject = (await this.clients.findActiveClient(credentials.clientId)) ? `client:${credentials.clientId}` : `address:${request.ip}`;
      const waitMs = this.failures.waitMs(subject);
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        throw new OAuthRefusal('slow_down', `too many failed attempts for this client; retry in ${seconds} s`, HttpStatus.TOO_MANY_REQUESTS, false, seconds);
      }
      const client = await this.clients.verifyClient(credentials.clientId, credentials.clientSecret);
      if (!client) {
        this.failures.failed(subject);
        throw new OAuthRefusal('invalid_client', 'unknown client or wrong secret', HttpStatus.UNAUTHORIZED, credentials.viaBasic);
      }
      this.failures.succeeded(subject);
      const requested = optionalString(body, 'scope');
      let scopes: Scope[] = client.scopes;
      if (requested !== undefined && requested.trim() !== '') {
        const parsed = parseScopeList(requested);
        const notGranted = parsed?.filter((scope) => !client.scopes.includes(scope)) ?? [];
        if (!parsed || notGranted.length > 0) {
          throw new OAuthRefusal('invalid_scope', `the client may ask only for: ${formatScopes(client.scopes)}`);
        }
        scopes = parsed;
      }
      const token = this.tokens.issueClientToken(client, scopes);
      await reply.code(HttpStatus.OK).send({
        access_token: token.accessToken,
        token_type: 'Bearer',
        expires_in: token.expiresIn,
        scope: formatScopes(token.scopes),
      });
    } catch (error) {
      if (!(error instanceof OAuthRefusal)) throw error;
      if (error.basicChallenge) reply.header('WWW-Authenticate', `Basic realm="${AUTH_REALM}"`);
      if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
      await reply.code(error.status).send({ error: error.error, error_description: error.description });
    }
  }
}
