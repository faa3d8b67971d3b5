import { InsertedIds } from './inserted-ids';

const id = (n: number): string => `acme/DEFAULT/${n.toString(16).padStart(8, '0')}-0000-4000-8000-${(n * 7919).toString(16).padStart(12, '0')}`;

describe('InsertedIds', () => {
  it('never calls an added id absent, across the layers it grows', () => {
    const ids = new InsertedIds(1_000);
    for (let n = 0; n < 30_000; n++) ids.add(id(n));
    const missed = Array.from({ length: 30_000 }, (_, n) => id(n)).filter((added) => ids.surelyAbsent(added));
    expect(missed).toEqual([]);
  });

  it('calls almost every id it never got absent', () => {
    const ids = new InsertedIds(1_000);
    for (let n = 0; n < 30_000; n++) ids.add(id(n));
    let maybe = 0;
    for (let n = 30_000; n < 90_000; n++) if (!ids.surelyAbsent(id(n))) maybe++;
    // five layers of at most 0.24% each when full
    expect(maybe / 60_000).toBeLessThan(0.015);
  });

  it('tells ids apart that differ in one character or only in order', () => {
    const ids = new InsertedIds();
    ids.add('acme/DEFAULT/abc');
    expect(ids.surelyAbsent('acme/DEFAULT/abc')).toBe(false);
    expect(ids.surelyAbsent('acme/DEFAULT/abd')).toBe(true);
    expect(ids.surelyAbsent('acme/DEFAULT/acb')).toBe(true);
    expect(ids.surelyAbsent('')).toBe(true);
    expect(new InsertedIds().surelyAbsent('acme/DEFAULT/abc')).toBe(true);
  });
});
