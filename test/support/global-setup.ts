import { execFileSync } from 'node:child_process';
import { RunningFerretDb, startFerretDb } from './ferretdb';
import { findPostgresBin, startPostgres } from './postgres';

function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts the servers the suites need for this run (each only when the caller did not name one). */
export default async function globalSetup(): Promise<void> {
  await startMongoDb();
  try {
    await startPostgresServer();
  } catch (error) {
    // jest runs no teardown after a failed setup: stop what was started
    await (globalThis as { __ferretdb__?: RunningFerretDb }).__ferretdb__?.stop();
    throw error;
  }
}

/**
 * Gives the MongoDB suites a server: MONGODB_URI when the caller set one, else a FerretDB
 * built and started for this run. REQUIRE_MONGODB=1 (set by .ci/run) turns "no server" into a failure.
 */
async function startMongoDb(): Promise<void> {
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

/**
 * Gives the PostgreSQL suites a server: DATABASE_URL when the caller set one, else a cluster of
 * Debian's PostgreSQL made for this run. REQUIRE_POSTGRES=1 (set by .ci/run) turns "no server" into a failure.
 */
async function startPostgresServer(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const required = process.env.REQUIRE_POSTGRES === '1';
  const bin = findPostgresBin();
  if (!bin) {
    if (required) throw new Error('REQUIRE_POSTGRES=1 but PostgreSQL is not installed (/usr/lib/postgresql/<major>/bin)');
    console.log('\n[postgres] DATABASE_URL is not set and PostgreSQL is not installed: PostgreSQL suites will be skipped');
    return;
  }
  try {
    const postgres = await startPostgres(bin);
    process.env.DATABASE_URL = postgres.url;
    (globalThis as { __postgres__?: unknown }).__postgres__ = postgres;
    console.log(`\n[postgres] PostgreSQL started for this run at ${postgres.url}`);
  } catch (error) {
    if (required) throw error;
    console.log(`\n[postgres] PostgreSQL could not be started (${(error as Error).message}): PostgreSQL suites will be skipped`);
  }
}
