import {
  ANY,
  AppendExpectedRevision,
  CurrentRevision,
  JSONType,
  NO_STREAM,
  START as ESDB_START,
  EventData,
  ReadPosition,
  RecordedEvent,
  jsonEvent,
} from '@eventstore/db-client';
import { ExpectedRevision, GlobalPosition, NewEvent, START, StoredEvent } from '../event-store.port';
import { validateExpectedRevision } from '../expected-revision';

/** Translation between our port's plain numbers and the client's bigints and constants. */

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'any') return ANY;
  validateExpectedRevision(expected);
  return BigInt(expected);
}

export function fromEsdbCurrentRevision(actual: CurrentRevision): number | 'no_stream' {
  return actual === NO_STREAM ? 'no_stream' : Number(actual);
}

/**
 * Every event written by a plain append has commit == prepare == its own log position, so our
 * number is the commit position and maps back to the same pair. Reads from it are inclusive.
 */
export function toEsdbReadPosition(after: GlobalPosition): ReadPosition {
  if (after === START) return ESDB_START;
  if (!Number.isSafeInteger(after) || after < 0) throw new RangeError(`position must be START or >= 0, got ${after}`);
  return { commit: BigInt(after), prepare: BigInt(after) };
}

/** Event types starting with "$" are EventStoreDB's own (what excludeSystemEvents() drops on the server). */
export function isSystemEvent(recorded: { type: string }): boolean {
  return recorded.type.startsWith('$');
}

export function toEsdbEventData(event: NewEvent): EventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: (event.data ?? null) as JSONType,
    metadata: event.metadata ?? {},
  });
}

/** Event ids are UUIDs the server gives back lower-cased: compare them in this form. */
export function eventIdKey(id: string): string {
  return id.toLowerCase();
}

export function toStoredEvent(recorded: RecordedEvent): StoredEvent {
  // A server before 22.6 sends no position on stream reads and the client fills in 0/0, which no
  // event can have (the log starts with the server's own epoch record): refuse rather than give
  // every event the same position.
  if (!recorded.position || (recorded.position.commit === 0n && recorded.position.prepare === 0n)) {
    throw new Error(`event ${recorded.id} in ${recorded.streamId} has no position: EventStoreDB 22.6 or later is required`);
  }
  return {
    id: recorded.id,
    type: recorded.type,
    data: recorded.data,
    metadata: (recorded.metadata ?? {}) as Record<string, unknown>,
    streamId: recorded.streamId,
    revision: Number(recorded.revision),
    position: Number(recorded.position.commit),
    recordedAt: recorded.created,
  };
}
