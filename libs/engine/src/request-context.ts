import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { EventMetadata, Issuer } from '@app/ledger';
import { SCHEMA_VERSION } from '@app/ledger';

/** Who is acting and why, carried from the HTTP edge (or CLI, or scheduler) into event metadata. */
export interface RequestContext {
  correlationId: string;
  causationId: string;
  issuer: Issuer;
  actor: string;
  /** set when the request carried an idempotency key: scope for ids derived from it */
  idempotencyScope?: string;
  idempotencyKey?: string;
  /** the key's earlier claim was abandoned by a crash: its events may already be stored */
  idempotencyTakeover?: boolean;
}

/** The caller part of a context: who acts; ids are filled in when missing. */
export type Caller = Partial<RequestContext> & Pick<RequestContext, 'issuer' | 'actor'>;

/**
 * Where a context comes from. The HTTP edge enters a request's source before authentication has run
 * and lets `caller()` read the principal when the command asks, so no per-route wrapper is needed.
 */
export interface ContextSource {
  caller(): Caller;
}

type Cell = { context: RequestContext; source?: undefined } | { context?: undefined; source: ContextSource };

const storage = new AsyncLocalStorage<Cell>();

function complete(context: Caller): RequestContext {
  const correlationId = context.correlationId ?? randomUUID();
  return { causationId: correlationId, ...context, correlationId };
}

export function runInContext<T>(context: Caller, work: () => T): T {
  return storage.run({ context: complete(context) }, work);
}

/** Runs `work` (and everything it starts) with the context `source` gives at the time it is asked for. */
export function runWithContextSource<T>(source: ContextSource, work: () => T): T {
  return storage.run({ source }, work);
}

/** The source entered with runWithContextSource, when the innermost context came from one. */
export function currentContextSource(): ContextSource | undefined {
  return storage.getStore()?.source;
}

export function currentContext(): RequestContext {
  const cell = storage.getStore();
  if (cell?.context) return cell.context;
  if (cell?.source) return complete(cell.source.caller());
  return { correlationId: randomUUID(), causationId: 'system', issuer: 'system', actor: 'system' };
}

export function metadataFor(tenant: string, storeCode: string, context: RequestContext = currentContext()): EventMetadata {
  return {
    tenant,
    storeCode,
    correlationId: context.correlationId,
    causationId: context.causationId,
    issuer: context.issuer,
    actor: context.actor,
    ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}),
    schemaVersion: SCHEMA_VERSION,
  };
}
