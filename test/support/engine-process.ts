import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './ferretdb';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from './engine';

const ROOT = join(__dirname, '..', '..');

/** The engine as a user starts it, in its own process, so a test can kill -9 it. */
export interface EngineProcess {
  url: string;
  child: ChildProcess;
  /** everything the engine wrote to stdout so far (its log lines) */
  stdout(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnEngine(dataDir: string, env: Record<string, string> = {}): Promise<EngineProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOYALTY_PROFILE: 'embedded',
      LOYALTY_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOYALTY_BOOTSTRAP_CLIENT_ID: TEST_CLIENT_ID,
      LOYALTY_BOOTSTRAP_CLIENT_SECRET: TEST_CLIENT_SECRET,
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`engine exited with ${child.exitCode}: ${stderr}`);
    try {
      const response = await fetch(`${url}/docs/json`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`engine did not start within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stdout: () => stdout,
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}

export async function clientToken(url: string): Promise<string> {
  const response = await fetch(`${url}/api/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: TEST_CLIENT_ID, client_secret: TEST_CLIENT_SECRET }),
  });
  if (!response.ok) throw new Error(`token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
