import { execFileSync } from 'node:child_process';
import { startFerretDb } from './ferretdb';

function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Gives the MongoDB suites a server: MONGODB_URI when the caller set one, else a FerretDB
 * built and started for this run. REQUIRE_MONGODB=1 (set by .ci/run) turns "no server" into a failure.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) return;
  const required = process.env.REQUIRE_MONGODB === '1';
  if (!hasGo()) {
    if (required) throw new Error('REQUIRE_MONGODB=1 but Go is not installed, so FerretDB cannot be built');
    console.log('\n[mongodb] MONGODB_URI is not set and Go is not installed: MongoDB suites will be skipped');
    return;
  }
  try {
    const ferret = await startFerretDb();
    process.env.MONGODB_URI = ferret.uri;
    (globalThis as { __ferretdb__?: unknown }).__ferretdb__ = ferret;
    console.log(`\n[mongodb] FerretDB started for this run at ${ferret.uri}`);
  } catch (error) {
    if (required) throw error;
    console.log(`\n[mongodb] FerretDB could not be started (${(error as Error).message}): MongoDB suites will be skipped`);
  }
}
