import { createHash } from 'node:crypto';
import { AuthError } from '../errors';
import { randomSecret } from '../secrets';
import type { TenantDirectory } from '../tenant-directory.port';
import type { TokenKey } from './jwt';

// RFC 7518 3.2: an HS256 key must be at least as long as the hash output (256 bits).
const MIN_KEY_LENGTH = 32;
const PERSISTED_KEY_SETTING = 'token-signing-key';

/** `LOYALTY_TOKEN_KEYS` = "kid:secret,kid:secret": the first signs, all verify, so keys rotate without logging anyone out. */
export function parseTokenKeys(raw: string): TokenKey[] {
  const keys = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const colon = entry.indexOf(':');
      const kid = colon > 0 ? entry.slice(0, colon) : '';
      const secret = colon > 0 ? entry.slice(colon + 1) : '';
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(kid)) {
        throw new AuthError('invalid_config', 'LOYALTY_TOKEN_KEYS entries must look like "kid:secret" with a kid of [A-Za-z0-9_.-]');
      }
      if (secret.length < MIN_KEY_LENGTH) {
        throw new AuthError('invalid_config', `LOYALTY_TOKEN_KEYS key "${kid}" is shorter than ${MIN_KEY_LENGTH} characters`);
      }
      return { kid, secret };
    });
  if (keys.length === 0) throw new AuthError('invalid_config', 'LOYALTY_TOKEN_KEYS is set but holds no "kid:secret" entry');
  if (new Set(keys.map((key) => key.kid)).size !== keys.length) {
    throw new AuthError('invalid_config', 'LOYALTY_TOKEN_KEYS names the same kid twice');
  }
  return keys;
}

/**
 * The signing keys for this process: LOYALTY_TOKEN_KEYS when set, otherwise one random key stored in the
 * registry on first start, so tokens survive restarts and every replica sharing the registry agrees.
 */
export async function resolveTokenKeys(env: NodeJS.ProcessEnv, directory: TenantDirectory): Promise<TokenKey[]> {
  const raw = env.LOYALTY_TOKEN_KEYS;
  if (raw !== undefined && raw.trim() !== '') return parseTokenKeys(raw);
  await directory.ensureSchema();
  const secret = await directory.ensureSetting(PERSISTED_KEY_SETTING, randomSecret());
  // The kid is derived from the secret so it is stable across restarts and reveals nothing about it.
  const kid = `local-${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`;
  return [{ kid, secret }];
}
