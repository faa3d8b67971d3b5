import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const ROOT = join(__dirname, '..', '..');
const SOURCES = join(ROOT, 'apps', 'dashboard');
const BUNDLE_PAGE = join(ROOT, 'dist', 'dashboard', 'index.html');
export const SCREENSHOTS = join(ROOT, '.tmp', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestChange(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs;
    }),
  );
}

/** Builds the dashboard bundle (what `npm run build` does) when it is missing or older than its sources. */
export function ensureDashboardBuilt(): void {
  if (existsSync(BUNDLE_PAGE) && statSync(BUNDLE_PAGE).mtimeMs >= newestChange(SOURCES)) return;
  execFileSync(join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', join(SOURCES, 'vite.config.mjs')], { cwd: ROOT, stdio: 'pipe' });
}

/** Debian's chromium (`apt-get install chromium`, .ci/run does it), headless; no sandbox since CI runs as root. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
}

/** The base URL of an app listening on loopback on a port the system chose. */
export async function listenOnLoopback(app: { listen(port: number, host: string): Promise<unknown>; getHttpServer(): { address(): AddressInfo | string | null } }): Promise<string> {
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}
