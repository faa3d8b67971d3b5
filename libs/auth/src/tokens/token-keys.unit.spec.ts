import { isAuthError } from '../errors';
import { parseTokenKeys } from './token-keys';

const long = 'x'.repeat(32);

describe('LOYALTY_TOKEN_KEYS', () => {
  it('reads kid:secret pairs in order, the first one signing', () => {
    expect(parseTokenKeys(`new:${long}, old:${long}y`)).toEqual([
      { kid: 'new', secret: long },
      { kid: 'old', secret: `${long}y` },
    ]);
  });

  it('keeps colons inside the secret', () => {
    expect(parseTokenKeys(`k:${long}:tail`)).toEqual([{ kid: 'k', secret: `${long}:tail` }]);
  });

  it.each([
    ['a secret shorter than 256 bits', 'k:short'],
    ['an entry without a kid', `:${long}`],
    ['an entry without a colon', long],
    ['the same kid twice', `k:${long},k:${long}`],
    ['no entries at all', ' , '],
  ])('refuses %s', (_, raw) => {
    expect(() => parseTokenKeys(raw)).toThrow();
    try {
      parseTokenKeys(raw);
    } catch (error) {
      expect(isAuthError(error, 'invalid_config')).toBe(true);
    }
  });
});
