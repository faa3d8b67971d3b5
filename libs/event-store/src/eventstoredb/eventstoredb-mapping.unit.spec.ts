import { ANY, NO_STREAM, RecordedEvent, START as ESDB_START } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { START } from '../event-store.port';
import {
  fromEsdbCurrentRevision,
  isSystemEvent,
  toEsdbEventData,
  toEsdbExpectedRevision,
  toEsdbReadPosition,
  toStoredEvent,
} from './eventstoredb-mapping';

// No EventStoreDB server can run here; these pin the translation the contract suite relies on when one does.

describe('EventStoreDB mapping', () => {
  it('maps expected revisions to the client constants and bigints', () => {
    expect(toEsdbExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toEsdbExpectedRevision('any')).toBe(ANY);
    expect(toEsdbExpectedRevision(0)).toBe(0n);
    expect(toEsdbExpectedRevision(41)).toBe(41n);
    expect(() => toEsdbExpectedRevision(-1)).toThrow(RangeError);
    expect(() => toEsdbExpectedRevision(1.5)).toThrow(RangeError);
  });

  it('maps the actual revision of a conflict back to a number or no_stream', () => {
    expect(fromEsdbCurrentRevision(NO_STREAM)).toBe('no_stream');
    expect(fromEsdbCurrentRevision(7n)).toBe(7);
  });

  it('maps a checkpoint to the start of $all or to its commit/prepare pair', () => {
    expect(toEsdbReadPosition(START)).toBe(ESDB_START);
    expect(toEsdbReadPosition(0)).toEqual({ commit: 0n, prepare: 0n });
    expect(toEsdbReadPosition(18_446)).toEqual({ commit: 18_446n, prepare: 18_446n });
  });

  it('tells EventStoreDB system events from ours by the $ prefix of their type', () => {
    expect(isSystemEvent({ type: '$metadata' })).toBe(true);
    expect(isSystemEvent({ type: '$>' })).toBe(true);
    expect(isSystemEvent({ type: 'PointsAdded' })).toBe(false);
  });

  it('sends our event as JSON with its own id', () => {
    const id = randomUUID();

    const sent = toEsdbEventData({ id, type: 'PointsSpent', data: { points: '2.50' }, metadata: { tenant: 't1' } });

    expect(sent).toEqual({ id, contentType: 'application/json', type: 'PointsSpent', data: { points: '2.50' }, metadata: { tenant: 't1' } });
  });

  it('reads a recorded event with the commit position as its global position', () => {
    const recorded = {
      streamId: 'pointsAccount-t1:s1:c1',
      id: randomUUID(),
      isJson: true,
      revision: 3n,
      type: 'PointsAdded',
      created: new Date('2025-01-02T03:04:05.000Z'),
      data: { points: '1.00' },
      metadata: { tenant: 't1' },
      position: { commit: 9_001n, prepare: 9_001n },
    } as RecordedEvent;

    expect(toStoredEvent(recorded)).toEqual({
      id: recorded.id,
      type: 'PointsAdded',
      data: { points: '1.00' },
      metadata: { tenant: 't1' },
      streamId: 'pointsAccount-t1:s1:c1',
      revision: 3,
      position: 9_001,
      recordedAt: new Date('2025-01-02T03:04:05.000Z'),
    });
  });

  it('refuses an event without a position rather than inventing one', () => {
    const recorded = {
      streamId: 's',
      id: randomUUID(),
      isJson: true,
      revision: 0n,
      type: 'PointsAdded',
      created: new Date(),
      data: {},
      metadata: undefined,
    } as RecordedEvent;

    expect(() => toStoredEvent(recorded)).toThrow(/22\.6 or later/);
  });
});
