import { estimatedTotalEvents } from './projection-runner';

describe('rebuild progress counts events, whatever a position measures', () => {
  it('is exact where positions count events, as SQLite rowids do', () => {
    // 500 of 12,000 events done, positions 1..12,000
    expect(estimatedTotalEvents(500, 1, 500, 12_000)).toBe(12_000);
    expect(estimatedTotalEvents(12_000, 1, 12_000, 12_000)).toBe(12_000);
  });

  it('estimates events where positions are byte offsets, as EventStoreDB commit positions are', () => {
    // 1,000 events of about 400 bytes each from offset 2,048, the log ending 3,999 events later
    const first = 2_048;
    const after = first + 999 * 400;
    const head = first + 3_999 * 400;

    expect(estimatedTotalEvents(1_000, first, after, head)).toBe(4_000);
  });

  it('never reports fewer events to do than are done', () => {
    expect(estimatedTotalEvents(1, 7_000, 7_000, 90_000)).toBe(1);
    expect(estimatedTotalEvents(300, 10, 9_000, 9_000)).toBe(300);
  });
});
