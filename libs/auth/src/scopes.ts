/** What a client may do. Every route names the scope it needs; tokens carry a subset of the client's. */
export const SCOPES = [
  'points:read',
  'points:write',
  'customers:read',
  'customers:write',
  'settings:write',
  'customers:impersonate',
  /** follow the public event catalogue: polling, SSE */
  'events:read',
  /** manage webhook endpoints, their secrets, replays */
  'webhooks:write',
] as const;

export type Scope = (typeof SCOPES)[number];

/** Scopes a customer token may carry; impersonation and settings never pass to a customer. */
export const CUSTOMER_SCOPES: readonly Scope[] = ['points:read', 'points:write', 'customers:read'];
export const DEFAULT_CUSTOMER_SCOPES: readonly Scope[] = ['points:read', 'customers:read'];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** "points:read points:write" (RFC 6749 space-delimited) -> scopes; undefined when any word is unknown. */
export function parseScopeList(raw: string): Scope[] | undefined {
  const words = raw.split(' ').filter((word) => word !== '');
  if (!words.every(isScope)) return undefined;
  return [...new Set(words)];
}

/** Keeps the catalogue order, so tokens and stored records list scopes the same way every time. */
export function normalizeScopes(scopes: readonly Scope[]): Scope[] {
  return SCOPES.filter((scope) => scopes.includes(scope));
}

export function formatScopes(scopes: readonly Scope[]): string {
  return normalizeScopes(scopes).join(' ');
}
