import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The schemathesis the fuzz is written against; its CLI and config format change between minor versions. */
export const SCHEMATHESIS_VERSION = '4.32.5';

/** A venv outside the repository, kept between runs (installing takes a minute). */
function venvDir(): string {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(cache, 'loyalty-engine', `schemathesis-${SCHEMATHESIS_VERSION}`);
}

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The schemathesis executable, installed on first use into a venv of its own; undefined when the machine
 * has no Python 3 (CI sets REQUIRE_SCHEMATHESIS=1, so there a missing Python fails instead).
 */
export function ensureSchemathesis(): string | undefined {
  const dir = venvDir();
  const executable = join(dir, 'bin', 'schemathesis');
  // written last: a venv without it is an install that was stopped halfway, built again
  const installed = join(dir, 'installed');
  if (existsSync(installed)) return executable;
  if (!hasPython()) {
    if (process.env.REQUIRE_SCHEMATHESIS === '1') throw new Error('python3 is required for the schema-driven fuzz (REQUIRE_SCHEMATHESIS=1)');
    return undefined;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('python3', ['-m', 'venv', dir], { stdio: 'pipe' });
  execFileSync(join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`], { stdio: 'pipe', timeout: 600_000 });
  writeFileSync(installed, `${SCHEMATHESIS_VERSION}\n`);
  return executable;
}

export interface FuzzRun {
  exitCode: number;
  output: string;
}

/** One schemathesis run over the served document with every check; its whole report comes back. */
export function runSchemathesis(executable: string, options: { url: string; token: string; maxExamples: number; seed: number; maxTimeSeconds?: number; configFile: string }): Promise<FuzzRun> {
  const args = [
    '--config-file',
    options.configFile,
    'run',
    `${options.url}/docs/json`,
    '--url',
    options.url,
    '--header',
    `Authorization: Bearer ${options.token}`,
    '--max-examples',
    String(options.maxExamples),
    '--seed',
    String(options.seed),
    '--workers',
    '2',
    '--no-color',
    ...(options.maxTimeSeconds ? ['--max-time', String(options.maxTimeSeconds)] : []),
  ];
  return new Promise((resolve, reject) => {
    // schemathesis keeps a cache folder where it runs: a temp folder, not the repository
    const cwd = mkdtempSync(join(tmpdir(), 'loyalty-schemathesis-'));
    const child = spawn(executable, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SCHEMATHESIS_TELEMETRY: 'false' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve({ exitCode: code ?? 1, output });
    });
  });
}
