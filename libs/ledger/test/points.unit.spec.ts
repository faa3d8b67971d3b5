import { InvalidPointsError, MAX_POINTS_HUNDREDTHS, formatPoints, parsePoints, toDecimal } from '../src/points';

describe('parsePoints: client amounts to integer hundredths', () => {
  it.each([
    ['6.9', 690],
    [6.9, 690],
    ['0.10', 10],
    [0.1, 10],
    ['9', 900],
    [499.0, 49_900],
    ['999999999', MAX_POINTS_HUNDREDTHS],
    ['999999999.00', MAX_POINTS_HUNDREDTHS],
  ])('reads %p as %p hundredths', (input, hundredths) => {
    expect(parsePoints(input)).toBe(hundredths);
  });

  it.each([
    ['1.234', /at most 2 decimal places/],
    [0.001, /./],
    ['0', /greater than 0/],
    [0, /greater than 0/],
    ['0.00', /greater than 0/],
    ['-1', /greater than 0/],
    [-5, /greater than 0/],
    ['abc', /must be a number/],
    ['', /must be a number/],
    [null, /must be a number/],
    [Number.NaN, /must be a number/],
    [Number.POSITIVE_INFINITY, /must be a number/],
    ['1e3', /plain decimal/],
    [' 5', /spaces around/],
    ['5 ', /spaces around/],
    ['\t5', /spaces around/],
    ['5\n', /spaces around/],
    [' ', /spaces around/],
    ['1000000000', /must not exceed 999999999/],
    ['999999999.01', /must not exceed 999999999/],
    [1_000_000_000, /must not exceed 999999999/],
  ])('refuses %p', (input, reason) => {
    expect(() => parsePoints(input)).toThrow(InvalidPointsError);
    expect(() => parsePoints(input)).toThrow(reason);
  });

  it('0.1 + 0.2 is exactly 0.3 in hundredths, unlike IEEE floats', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(parsePoints('0.1') + parsePoints(0.2)).toBe(parsePoints('0.3'));
    expect(toDecimal(parsePoints('0.1') + parsePoints(0.2))).toBe(0.3);
  });

  it('shows hundredths as the numbers and strings the APIs print', () => {
    expect(toDecimal(690)).toBe(6.9);
    expect(toDecimal(1000)).toBe(10);
    expect(formatPoints(690)).toBe('6.90');
    expect(formatPoints(-5)).toBe('-0.05');
  });

  it('a_refusal_keeps_what_the_client_sent_and_why', () => {
    let thrown: unknown;
    try {
      parsePoints('1.234');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).toMatchObject({ name: 'InvalidPointsError', input: '1.234', reason: 'points may have at most 2 decimal places', message: 'points may have at most 2 decimal places' });
  });

  it.each([
    ['1234567890123', 'points must be a number'],
    ['1.', 'points must be a number'],
    ['.5', 'points must be a number'],
    ['1.2.3', 'points must be a number'],
    ['x1', 'points must be a number'],
    ['1x', 'points must be a number'],
    ['1.5x', 'points must be a number'],
    ['1.234x', 'points must be a number'],
    ['x1.234', 'points must be a number'],
    ['1E3', 'points must be a plain decimal number'],
    ['1-', 'points must be a number'],
    ['12.345', 'points may have at most 2 decimal places'],
  ])('it_names_why_it_refuses_%p', (input, reason) => {
    expect(() => parsePoints(input)).toThrow(new InvalidPointsError(input, reason));
  });

  it('it_reads_the_longest_amounts_it_takes', () => {
    expect(parsePoints('000000000001.5')).toBe(150);
    expect(parsePoints('0.01')).toBe(1);
    expect(parsePoints('12.3')).toBe(12_30);
  });

  it('it_prints_every_digit_of_an_amount', () => {
    expect(formatPoints(123_456)).toBe('1234.56');
    expect(formatPoints(0)).toBe('0.00');
    expect(formatPoints(-123_456)).toBe('-1234.56');
    expect(toDecimal(5)).toBe(0.05);
  });
});
