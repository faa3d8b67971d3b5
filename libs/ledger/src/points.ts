/**
 * Points are exact decimals with at most two fractional digits. Inside the engine
 * they are always integer hundredths ("cents of a point"), so sums never drift.
 */
export type Hundredths = number;

export const MAX_POINTS_HUNDREDTHS: Hundredths = 999_999_999_00;

const DECIMAL = /^(\d{1,12})(?:\.(\d{1,2}))?$/;

export class InvalidPointsError extends Error {
  constructor(readonly input: unknown, readonly reason: string) {
    super(reason);
    this.name = 'InvalidPointsError';
  }
}

/**
 * Parses what a client sent ("9", "6.9", 6.9, "0.10") into hundredths.
 * Refuses zero, negatives, more than two decimals, surrounding whitespace, non-numbers and amounts above 999,999,999.
 */
export function parsePoints(input: unknown): Hundredths {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new InvalidPointsError(input, 'points must be a number');
    // A JSON number such as 6.9 prints back as "6.9"; anything needing more digits is refused below.
    text = String(input);
  } else if (typeof input === 'string') {
    // exact grammar: " 5" is as non-canonical as "05.000" and is refused, not repaired
    text = input;
    if (text.trim() !== text) throw new InvalidPointsError(input, 'points must not have spaces around them');
  } else {
    throw new InvalidPointsError(input, 'points must be a number');
  }
  if (/^-/.test(text)) throw new InvalidPointsError(input, 'points must be greater than 0');
  if (/e/i.test(text)) throw new InvalidPointsError(input, 'points must be a plain decimal number');
  const match = DECIMAL.exec(text);
  if (!match) {
    if (/^\d+\.\d{3,}$/.test(text)) throw new InvalidPointsError(input, 'points may have at most 2 decimal places');
    throw new InvalidPointsError(input, 'points must be a number');
  }
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(2, '0'));
  const hundredths = whole * 100 + fraction;
  if (hundredths === 0) throw new InvalidPointsError(input, 'points must be greater than 0');
  if (hundredths > MAX_POINTS_HUNDREDTHS) throw new InvalidPointsError(input, 'points must not exceed 999999999');
  return hundredths;
}

/** Hundredths to the JSON number the public APIs show (690 -> 6.9, 1000 -> 10). */
export function toDecimal(hundredths: Hundredths): number {
  return hundredths / 100;
}

/** Hundredths to a fixed two-decimal string (690 -> "6.90"), for text outputs. */
export function formatPoints(hundredths: Hundredths): string {
  const sign = hundredths < 0 ? '-' : '';
  const abs = Math.abs(hundredths);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
