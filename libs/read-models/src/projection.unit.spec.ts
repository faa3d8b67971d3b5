import { utcDay, utcTime } from './projection';
import { seededRandom } from './testing/seeded-random';

describe('utcTime / utcDay', () => {
  const slow = (time: string): string => new Date(time).toISOString();

  it('give what parsing and printing the time gives, for canonical and other spellings', () => {
    const random = seededRandom(99);
    const samples: string[] = [];
    for (let i = 0; i < 5_000; i++) samples.push(new Date(Date.UTC(1970 + Math.floor(random() * 130), 0, 1) + Math.floor(random() * 366 * 86_400_000)).toISOString());
    samples.push(
      '2024-02-29T23:59:59.999Z',
      '2026-02-29T10:00:00.000Z', // no such day: rolls over to March 1st, as Date does
      '2026-04-31T00:00:00.000Z',
      '2026-12-31T23:59:59.000Z',
      '2026-01-01T10:00:00+02:00',
      '2026-01-01T10:00:00Z',
      '2026-01-01',
    );
    for (const time of samples) {
      expect(utcTime(time)).toBe(slow(time));
      expect(utcDay(time)).toBe(slow(time).slice(0, 10));
    }
    expect(utcTime(undefined)).toBeNull();
    expect(utcTime(null)).toBeNull();
    expect(() => utcTime('not a time')).toThrow(RangeError);
  });
});
