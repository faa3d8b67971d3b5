/** Nest injection tokens for the ports the engine is composed of. */
export const EVENT_STORE = Symbol('EventStore');
export const CLOCK = Symbol('Clock');
export const READ_MODELS = Symbol('ReadModelQueries');
export const ENGINE_CONFIG = Symbol('EngineConfig');
/** something that can wait until projections have applied a global position */
export const PROJECTION_PROGRESS = Symbol('ProjectionProgress');

export interface ProjectionProgress {
  /** resolves once every live projection has applied `position` (or the timeout passed) */
  waitFor(position: number, timeoutMs?: number): Promise<void>;
}
/** the LeaseStore of the profile (scheduler lease) */
export const LEASE_STORE = Symbol('LeaseStore');
