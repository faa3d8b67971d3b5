import { rmSync } from 'node:fs';
import { startTestEngine, TestEngine } from '../support/engine';

/**
 * Signing keys rotate through LOYALTY_TOKEN_KEYS across restarts on the same data: the first key
 * signs, every listed key verifies, and a key taken off the list stops verifying at once.
 */
describe('token key rotation through LOYALTY_TOKEN_KEYS, over HTTP and across restarts', () => {
  const OLD = 'k-old:old-signing-key-0123456789abcdef0123456789';
  const NEW = 'k-new:new-signing-key-0123456789abcdef0123456789';
  let engine: TestEngine | undefined;
  let dataDir: string | undefined;

  async function restart(keys: string): Promise<TestEngine> {
    await engine?.close({ keepData: true });
    engine = await startTestEngine({ dataDir, env: { LOYALTY_TOKEN_KEYS: keys } });
    dataDir = engine.dataDir;
    return engine;
  }
  const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { kid: string }).kid;
  const statusWith = async (running: TestEngine, token: string) =>
    (await running.http().get('/api/DEFAULT/points/transfers').set('Authorization', `Bearer ${token}`)).status;

  afterEach(async () => {
    // a failed step must not leave the app (and its timers) running, or jest never exits
    await engine?.close({ keepData: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    engine = undefined;
    dataDir = undefined;
  });

  it('old tokens verify after the new key is put first, new ones are signed with it, and a removed key is refused', async () => {
    const before = await restart(OLD);
    const oldToken = before.token;
    expect(kidOf(oldToken)).toBe('k-old');
    expect(await statusWith(before, oldToken)).toBe(200);

    const rotated = await restart(`${NEW},${OLD}`);
    const newToken = rotated.token;
    expect(kidOf(newToken)).toBe('k-new');
    expect(await statusWith(rotated, oldToken)).toBe(200);
    expect(await statusWith(rotated, newToken)).toBe(200);

    const retired = await restart(NEW);
    expect(await statusWith(retired, oldToken)).toBe(401);
    expect(await statusWith(retired, newToken)).toBe(200);
  });
});
