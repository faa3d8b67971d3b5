export const OPS_OPTIONS = Symbol.for('OpsOptions');

export interface OpsOptions {
  /** readiness fails while any projection is more than this many events behind (LOYALTY_READY_MAX_LAG) */
  readyMaxLag: number;
  /** when set, GET /metrics wants `Authorization: Bearer <token>` (LOYALTY_METRICS_TOKEN) */
  metricsToken?: string;
}

/** default readiness threshold: a few seconds of peak writes; a first-start catch-up stays not ready until done */
export const DEFAULT_READY_MAX_LAG = 1_000;

export function opsOptionsFromEnv(env: NodeJS.ProcessEnv): OpsOptions {
  const raw = env.LOYALTY_READY_MAX_LAG;
  const readyMaxLag = raw === undefined || raw === '' ? DEFAULT_READY_MAX_LAG : Number(raw);
  if (!Number.isInteger(readyMaxLag) || readyMaxLag < 0) throw new Error(`LOYALTY_READY_MAX_LAG must be a non-negative integer, got "${raw}"`);
  return { readyMaxLag, metricsToken: env.LOYALTY_METRICS_TOKEN || undefined };
}
