import type { RunningFerretDb } from './ferretdb';
import type { RunningPostgres } from './postgres';

export default async function globalTeardown(): Promise<void> {
  const { __ferretdb__: ferret, __postgres__: postgres } = globalThis as { __ferretdb__?: RunningFerretDb; __postgres__?: RunningPostgres };
  await Promise.all([ferret?.stop(), postgres?.stop()]);
}
