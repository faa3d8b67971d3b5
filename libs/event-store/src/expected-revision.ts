import { ExpectedRevision, NewEvent, WrongExpectedRevisionError } from './event-store.port';

/** Refuses revisions no stream can have, before anything is sent or stored. */
export function validateExpectedRevision(expected: ExpectedRevision): void {
  if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw new RangeError(`expected revision must be 'no_stream', 'any' or a revision >= 0, got ${expected}`);
  }
}

/** Throws unless the stream's current revision (undefined: no stream) is what the append expects. */
export function assertExpectedRevision(streamId: string, expected: ExpectedRevision, currentRevision: number | undefined): void {
  if (expected === 'any') return;
  const matches = expected === 'no_stream' ? currentRevision === undefined : currentRevision === expected;
  if (!matches) throw new WrongExpectedRevisionError(streamId, expected, currentRevision ?? 'no_stream');
}

/** A batch naming one event id twice (ids compare case-insensitively) is refused before anything is stored. */
export function assertDistinctEventIds(streamId: string, events: readonly NewEvent[]): void {
  if (new Set(events.map((event) => event.id.toLowerCase())).size !== events.length) {
    throw new RangeError(`stream ${streamId}: the batch repeats an event id`);
  }
}
