/**
 * Which real servers this run can reach. A suite whose server is absent prints one line
 * saying so and registers no tests, so it is visibly skipped, never silently passed.
 */
export const mongoUri = process.env.MONGODB_URI;
export const eventStoreDbConnectionString = process.env.EVENTSTORE_CONNECTION_STRING;
export const databaseUrl = process.env.DATABASE_URL;

export function announceSkip(suite: string, why: string): void {
  // eslint-disable-next-line no-console
  console.log(`[skipped] ${suite}: ${why}`);
}

/** describe() when the server is there, otherwise one printed line and a visibly skipped block. */
export function describeWithServer(suite: string, available: string | undefined, envName: string, body: () => void): void {
  if (available) {
    describe(suite, body);
  } else {
    announceSkip(suite, `${envName} is not set, so no server is reachable`);
    describe.skip(suite, () => it('needs a server', () => undefined));
  }
}
