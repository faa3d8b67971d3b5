import type { RunningFerretDb } from './ferretdb';

export default async function globalTeardown(): Promise<void> {
  const ferret = (globalThis as { __ferretdb__?: RunningFerretDb }).__ferretdb__;
  if (ferret) await ferret.stop();
}
