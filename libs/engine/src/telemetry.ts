/** How a points command ended: its events appended (or none needed), refused by a ledger rule, or failed otherwise. */
export type CommandOutcome = 'accepted' | 'refused' | 'failed';

/**
 * What the engine reports for operators (apps/api/src/ops turns it into Prometheus metrics). Calls
 * sit on the command path, so an implementation must only count: no I/O, no allocation per call.
 * Arguments name command and event types, never customers, stores or keys.
 */
export interface EngineTelemetry {
  command(type: string, outcome: CommandOutcome): void;
  /** another writer appended first: the command is decided again on fresh state */
  conflictRetried(type: string): void;
  /** one append to the event store, in seconds */
  appended(seconds: number): void;
  schedulerPass(lots: { activated: number; expired: number }, failed: boolean): void;
  importItems(outcome: 'success' | 'failed', count: number): void;
}

export const ENGINE_TELEMETRY = Symbol.for('EngineTelemetry');

/** For the CLI, the projector and tests that do not measure. */
export const noTelemetry: EngineTelemetry = {
  command: () => undefined,
  conflictRetried: () => undefined,
  appended: () => undefined,
  schedulerPass: () => undefined,
  importItems: () => undefined,
};
