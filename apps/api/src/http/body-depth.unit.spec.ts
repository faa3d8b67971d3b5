import { nestedDeeperThan } from './body-depth';

describe('body nesting depth', () => {
  const arrays = (depth: number): unknown => (depth === 0 ? 1 : [arrays(depth - 1)]);

  it('counts each array or object level, scalars add none', () => {
    expect(nestedDeeperThan(undefined, 0)).toBe(false);
    expect(nestedDeeperThan('text', 0)).toBe(false);
    expect(nestedDeeperThan({}, 1)).toBe(false);
    expect(nestedDeeperThan({}, 0)).toBe(true);
    expect(nestedDeeperThan({ transfer: { customer: 'c', points: '5' } }, 2)).toBe(false);
    expect(nestedDeeperThan({ transfer: { customer: 'c', points: ['5'] } }, 2)).toBe(true);
  });

  it('finds the deep branch among shallow ones', () => {
    expect(nestedDeeperThan({ a: 1, b: [1, 2], c: { d: arrays(30) } }, 32)).toBe(false);
    expect(nestedDeeperThan({ a: 1, b: [1, 2], c: { d: arrays(31) } }, 32)).toBe(true);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(nestedDeeperThan(deep, 32)).toBe(true);
  });
});
