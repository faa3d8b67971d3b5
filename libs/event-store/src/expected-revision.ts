import { ExpectedRevision, WrongExpectedRevisionError } from './event-store.port';

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
