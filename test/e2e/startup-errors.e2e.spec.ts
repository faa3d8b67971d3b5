import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Starts apps/api/src/main.ts as a user does and waits for it to exit (it must: the data folder is unusable). */
function startEngine(env: Record<string, string>, user?: { uid: number; gid: number }): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, LOYALTY_PROFILE: 'embedded', PORT: '0', HOST: '127.0.0.1', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    ...user,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('start-up with an unusable data folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'startup-errors-'));
  chmodSync(root, 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a data folder that is a file: one line naming the path and the cause, non-zero exit', async () => {
    const file = join(root, 'not-a-folder');
    writeFileSync(file, 'x');
    const { code, stderr } = await startEngine({ LOYALTY_DATA_DIR: file });
    expect(code).not.toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot use the data folder ${file}`);
    expect(lines[0]).toMatch(/ENOTDIR|EEXIST|not a directory|file already exists/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a read-only data folder: one line naming the path, non-zero exit', async () => {
    const readOnly = join(root, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    // root ignores file permissions: then the engine runs as nobody, for whom the folder is read-only
    const nobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    const { code, stderr } = await startEngine({ LOYALTY_DATA_DIR: readOnly }, nobody);
    chmodSync(readOnly, 0o755);
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining(`cannot use the data folder ${readOnly}`)]);
  });
});
