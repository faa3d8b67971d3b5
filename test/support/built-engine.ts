import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from './engine';

const ROOT = join(__dirname, '..', '..');
const ENTRY = { api: 'dist/apps/api/src/main.js', projector: 'dist/apps/projector/src/main.js' } as const;
export type BuiltApp = keyof typeof ENTRY;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt(app: BuiltApp): number {
  try {
    return statSync(join(ROOT, ENTRY[app])).mtimeMs;
  } catch {
    return 0;
  }
}

/** `nest build <app>` for each app whose build is missing or older than a source under apps/ or libs/, as users start the engine. */
export function buildIfStale(apps: readonly BuiltApp[]): void {
  const sources = Math.max(newestSource(join(ROOT, 'apps')), newestSource(join(ROOT, 'libs')));
  for (const app of apps) {
    if (builtAt(app) >= sources) continue;
    execFileSync(join(ROOT, 'node_modules', '.bin', 'nest'), ['build', app], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
}

/** One process of a deployment, started like `node dist/apps/<app>/src/main.js`. */
export interface BuiltProcess {
  app: BuiltApp;
  child: ChildProcess;
  /** everything it printed so far (stdout and stderr) */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts a built app and waits until it is ready: the API answers /docs/json on its PORT, the
 * projector has logged what it runs. `env` is added to the bootstrap client's.
 */
export async function startBuilt(app: BuiltApp, env: Record<string, string>, timeoutMs = 60_000): Promise<BuiltProcess> {
  const child = spawn(process.execPath, [ENTRY[app]], {
    cwd: ROOT,
    env: { ...process.env, LOYALTY_BOOTSTRAP_CLIENT_ID: TEST_CLIENT_ID, LOYALTY_BOOTSTRAP_CLIENT_SECRET: TEST_CLIENT_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started: BuiltProcess = {
    app,
    child,
    output: () => output,
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}: ${output}`);
    if (app === 'projector' ? output.includes('profile: running') : await answers(`http://127.0.0.1:${env.PORT}/docs/json`)) return started;
    if (Date.now() > deadline) {
      await started.kill('SIGKILL');
      throw new Error(`${app} was not ready within ${timeoutMs} ms: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}
