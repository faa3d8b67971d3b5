import { Controller, HttpStatus, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientService } from '../client.service';
import { formatScopes, parseScopeList, type Scope } from '../scopes';
import { TokenService } from '../tokens/token.service';
import { TokenEndpointThrottlerGuard } from './auth.guard';
import { AUTH_REALM } from './strategies';

type OAuthError = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

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
  ) {}
}

/** RFC 6749 2.3.1: Basic credentials are form-urlencoded before base64, so decode them when they decode. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function basicCredentials(header: string | undefined): { clientId: string; clientSecret: string } | 'malformed' | undefined {
  if (header === undefined || !/^basic\s/i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return 'malformed';
  return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
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
  ) {}

  @Post(['api/oauth/token', 'oauth/token'])
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
      const client = await this.clients.verifyClient(credentials.clientId, credentials.clientSecret);
      if (!client) {
        throw new OAuthRefusal('invalid_client', 'unknown client or wrong secret', HttpStatus.UNAUTHORIZED, credentials.viaBasic);
      }
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
      await reply.code(error.status).send({ error: error.error, error_description: error.description });
    }
  }
}
