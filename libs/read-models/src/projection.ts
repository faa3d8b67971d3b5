import type { StoredEvent } from '@app/event-store/event-store.port';
import type { CollectionSpec, FieldValue, ViewDocument } from './documents';

/**
 * The write port every projection is written against, once, for both adapters.
 * Reads and writes are synchronous over a batch's working set: SQLite fills it straight from
 * the file inside the batch transaction, MongoDB prefetches what a pass asked for and re-runs it.
 */
export interface ProjectionContext {
  get<D extends ViewDocument>(collection: CollectionSpec, id: string): D | undefined;
  /**
   * Changes one document as of the event at `position`. Skipped when the document already
   * holds that event (its position >= position), which is what makes redelivery harmless.
   * `next` gets a copy (or undefined when absent) and returns the new document,
   * null to delete it, or undefined to leave it as it is.
   */
  change<D extends ViewDocument>(
    collection: CollectionSpec,
    id: string,
    position: number,
    next: (current: D | undefined) => D | null | undefined,
  ): void;
  /**
   * Sets fields on every document matching `match` whose `guardField` is below `position`
   * (and sets guardField to position). Ends the working set: adapters write what came before first.
   */
  updateWhere(collection: CollectionSpec, match: Record<string, string>, set: Record<string, FieldValue>, guardField: string, position: number): void;
  /** Deletes every document matching `match` whose position is below `position`. Ends the working set too. */
  deleteWhere(collection: CollectionSpec, match: Record<string, string>, position: number): void;
}

export interface Projection {
  /** stable name: checkpoint key, CLI argument, prefix of the rebuild's shadow tables */
  readonly name: string;
  /** every collection it writes; the first is the view the API queries, the others are its private memory */
  readonly collections: ReadonlyArray<CollectionSpec>;
  /** event -> view changes; pure apart from ctx, times only from the event */
  apply(event: StoredEvent, ctx: ProjectionContext): void;
}

export interface BulkChange {
  kind: 'updateWhere' | 'deleteWhere';
  collection: CollectionSpec;
  match: Record<string, string>;
  set?: Record<string, FieldValue>;
  guardField: string;
  position: number;
}

export interface DocumentChange {
  collection: CollectionSpec;
  id: string;
  /** the stored document the batch started from; null when absent */
  before: ViewDocument | null;
  /** null: delete */
  after: ViewDocument | null;
  /** position of the event that deleted it */
  deletedAt?: number;
}

/** Documents known for a batch: loaded from the store (null = known to be absent). */
export type LoadedDocuments = Map<string, Map<string, ViewDocument | null>>;

/**
 * One batch's working set. Adapters feed it (synchronously, or by prefetching the recorded
 * misses and re-running the pass) and then store `documentChanges()` followed by `bulk`.
 */
export class WorkingSet implements ProjectionContext {
  readonly misses = new Map<string, { collection: CollectionSpec; ids: Set<string> }>();
  readonly bulk: BulkChange[] = [];
  private readonly working = new Map<string, Map<string, { collection: CollectionSpec; doc: ViewDocument | null; deletedAt?: number }>>();

  constructor(
    readonly loaded: LoadedDocuments,
    private readonly loadNow?: (collection: CollectionSpec, id: string) => ViewDocument | undefined,
  ) {}

  /** a bulk change was recorded: nothing more may join this working set */
  get closed(): boolean {
    return this.bulk.length > 0;
  }

  get<D extends ViewDocument>(collection: CollectionSpec, id: string): D | undefined {
    const changed = this.working.get(collection.name)?.get(id);
    if (changed) return (changed.doc ?? undefined) as D | undefined;
    let known = this.loaded.get(collection.name);
    if (!known) this.loaded.set(collection.name, (known = new Map()));
    if (known.has(id)) return (known.get(id) ?? undefined) as D | undefined;
    if (this.loadNow) {
      const doc = this.loadNow(collection, id) ?? null;
      known.set(id, doc);
      return (doc ?? undefined) as D | undefined;
    }
    let miss = this.misses.get(collection.name);
    if (!miss) this.misses.set(collection.name, (miss = { collection, ids: new Set() }));
    miss.ids.add(id);
    return undefined;
  }

  change<D extends ViewDocument>(
    collection: CollectionSpec,
    id: string,
    position: number,
    next: (current: D | undefined) => D | null | undefined,
  ): void {
    this.assertOpen();
    const current = this.get<D>(collection, id);
    // a second change by the same event (e.g. one bucket hit twice) applies; a stored one at or after it does not
    const changedByThisEvent = this.working.get(collection.name)?.get(id)?.doc?.position === position;
    if (current && current.position >= position && !changedByThisEvent) return;
    // a copy: projections may change what they get in place, and the stored before-image must stay as it was
    const result = next(current ? { ...current } : undefined);
    if (result === undefined) return;
    let changes = this.working.get(collection.name);
    if (!changes) this.working.set(collection.name, (changes = new Map()));
    if (result === null) {
      if (current) changes.set(id, { collection, doc: null, deletedAt: position });
      return;
    }
    // the result is the projection's own new object (or that copy): stamped in place rather than copied again
    result.id = id;
    result.position = position;
    changes.set(id, { collection, doc: result });
  }

  updateWhere(collection: CollectionSpec, match: Record<string, string>, set: Record<string, FieldValue>, guardField: string, position: number): void {
    this.bulk.push({ kind: 'updateWhere', collection, match, set, guardField, position });
  }

  deleteWhere(collection: CollectionSpec, match: Record<string, string>, position: number): void {
    this.bulk.push({ kind: 'deleteWhere', collection, match, guardField: 'position', position });
  }

  documentChanges(): DocumentChange[] {
    const out: DocumentChange[] = [];
    for (const [name, changes] of this.working) {
      const known = this.loaded.get(name);
      for (const [id, change] of changes) {
        const before = known?.get(id) ?? null;
        if (!before && !change.doc) continue;
        out.push({ collection: change.collection, id, before, after: change.doc, deletedAt: change.deletedAt });
      }
    }
    return out;
  }

  private assertOpen(): void {
    // Bulk changes are stored after the documents, so a document change may not follow one.
    if (this.bulk.length) throw new Error('a bulk change must be the last change of its event');
  }
}

/** `new Date(x).toISOString()` gives back exactly such a string; it is what events carry almost always */
const CANONICAL_UTC = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** UTC day (YYYY-MM-DD) of an ISO time; parsing, not a clock read, so replays give the same day. */
export function utcDay(time: string): string {
  return (CANONICAL_UTC.test(time) && isRealDay(time) ? time : new Date(time).toISOString()).slice(0, 10);
}

/** Normalizes an event time to UTC ISO, so stored times compare as text. */
export function utcTime(time: string | undefined | null): string | null {
  if (!time) return null;
  // already canonical: parsing and printing it again would give the same text
  return CANONICAL_UTC.test(time) && isRealDay(time) ? time : new Date(time).toISOString();
}

/** Day 29-31 exists in that month (Date would roll 2026-02-30 over into March) */
function isRealDay(time: string): boolean {
  const day = Number(time.slice(8, 10));
  if (day <= 28) return true;
  const year = Number(time.slice(0, 4));
  const month = Number(time.slice(5, 7));
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

