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

const storage = new AsyncLocalStorage<RequestContext>();

export function runInContext<T>(context: Partial<RequestContext> & Pick<RequestContext, 'issuer' | 'actor'>, work: () => T): T {
  const correlationId = context.correlationId ?? randomUUID();
  return storage.run({ causationId: correlationId, ...context, correlationId }, work);
}

export function currentContext(): RequestContext {
  return storage.getStore() ?? { correlationId: randomUUID(), causationId: 'system', issuer: 'system', actor: 'system' };
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
