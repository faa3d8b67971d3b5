import { DAY_MS } from './clock';
import { LedgerError } from './errors';
import type { LotState } from './events';

/**
 * Per-store points policy, pure. All dates are UTC. Expiry periods count from the moment the
 * points become active (activatesAt for pending lots, else now): points are valid for N usable days.
 */
export type ExpiryPolicy =
  | { policy: 'never' }
  | { policy: 'after_days'; days: number }
  /** the last millisecond (23:59:59.999Z) of the month the lot becomes active in */
  | { policy: 'end_of_month' }
  /** the last millisecond (Dec 31, 23:59:59.999Z) of the year the lot becomes active in */
  | { policy: 'end_of_year' };

export interface StoreSettings {
  expiry: ExpiryPolicy;
  /** days a new lot stays pending before it can be spent; 0 = active at once */
  pendingDays: number;
  p2pAllowed: boolean;
  /** the first credit to an unknown customer opens the account instead of failing */
  openAccountOnFirstAdd: boolean;
}

export const DEFAULT_STORE_SETTINGS: Readonly<StoreSettings> = Object.freeze({
  expiry: Object.freeze({ policy: 'never' as const }),
  pendingDays: 0,
  p2pAllowed: true,
  openAccountOnFirstAdd: true,
});

/** 100 years: anything longer is a typo, and keeps dates inside what Date can represent. */
export const MAX_SETTINGS_DAYS = 36_500;

/** The per-request knobs of an add: they beat the store policy. */
export interface LotDateOverrides {
  /** ISO-8601 instant; a date alone ("2026-03-01") means the end of that day, UTC */
  validUntil?: string;
  validityDays?: number;
  /** ISO-8601 instant; in the past or now means active at once */
  activatesAt?: string;
  pendingDays?: number;
}

export interface LotDates {
  state: LotState;
  activatesAt?: string;
  expiresAt?: string;
}

const SETTINGS_FIELDS: ReadonlyArray<keyof StoreSettings> = ['expiry', 'pendingDays', 'p2pAllowed', 'openAccountOnFirstAdd'];
const EXPIRY_FIELDS: readonly string[] = ['policy', 'days'];

// a misspelt setting would otherwise be dropped silently and answered 200
function unknownFields(input: Record<string, unknown>, known: readonly string[], prefix: string): string[] {
  return Object.keys(input)
    .filter((field) => !known.includes(field))
    .map((field) => `${prefix}${field} is not a store setting`);
}

/** Whether two complete settings say the same thing: a change to what is already set is no change. */
export function sameStoreSettings(a: Readonly<StoreSettings>, b: Readonly<StoreSettings>): boolean {
  const days = (expiry: ExpiryPolicy) => (expiry.policy === 'after_days' ? expiry.days : undefined);
  return (
    a.expiry.policy === b.expiry.policy &&
    days(a.expiry) === days(b.expiry) &&
    a.pendingDays === b.pendingDays &&
    a.p2pAllowed === b.p2pAllowed &&
    a.openAccountOnFirstAdd === b.openAccountOnFirstAdd
  );
}

/** Every problem with a (partial) settings object, as readable messages; each starts with the field it is about; empty when valid. */
export function storeSettingsErrors(input: unknown): string[] {
  if (!isRecord(input)) return ['settings must be an object'];
  const errors: string[] = unknownFields(input, SETTINGS_FIELDS, '');
  if (isRecord(input.expiry)) errors.push(...unknownFields(input.expiry, EXPIRY_FIELDS, 'expiry.'));
  if (input.expiry !== undefined) {
    const expiry = input.expiry;
    if (!isRecord(expiry)) errors.push('expiry must be an object');
    else if (expiry.policy === 'after_days') {
      if (!isDays(expiry.days, 1)) errors.push(`expiry.days must be a whole number from 1 to ${MAX_SETTINGS_DAYS}`);
    } else if (!['never', 'end_of_month', 'end_of_year'].includes(expiry.policy as string)) {
      errors.push('expiry.policy must be one of never, after_days, end_of_month, end_of_year');
    }
  }
  if (input.pendingDays !== undefined && !isDays(input.pendingDays, 0)) {
    errors.push(`pendingDays must be a whole number from 0 to ${MAX_SETTINGS_DAYS}`);
  }
  for (const flag of ['p2pAllowed', 'openAccountOnFirstAdd'] as const) {
    if (input[flag] !== undefined && typeof input[flag] !== 'boolean') errors.push(`${flag} must be true or false`);
  }
  return errors;
}

/** A partial settings object laid over `base` (the defaults), or LedgerError invalid_settings. */
export function parseStoreSettings(input: unknown, base: Readonly<StoreSettings> = DEFAULT_STORE_SETTINGS): StoreSettings {
  const errors = storeSettingsErrors(input);
  if (errors.length) throw new LedgerError('invalid_settings', errors.join('; '), { errors });
  const given = input as Partial<StoreSettings>;
  const expiry: ExpiryPolicy =
    given.expiry === undefined
      ? base.expiry
      : given.expiry.policy === 'after_days'
        ? { policy: 'after_days', days: given.expiry.days }
        : { policy: given.expiry.policy };
  return {
    expiry,
    pendingDays: given.pendingDays ?? base.pendingDays,
    p2pAllowed: given.p2pAllowed ?? base.p2pAllowed,
    openAccountOnFirstAdd: given.openAccountOnFirstAdd ?? base.openAccountOnFirstAdd,
  };
}

/**
 * The state, activation and expiry of a new lot: request overrides first, store policy second.
 * Refuses (invalid_lot_dates) an expiry that is not after the moment the points become active.
 */
export function resolveLotDates(
  settings: Readonly<StoreSettings>,
  overrides: LotDateOverrides,
  now: string | Date,
): LotDates {
  const nowMs = typeof now === 'string' ? instant(now, 'now') : now.getTime();
  if (Number.isNaN(nowMs)) throw new LedgerError('invalid_lot_dates', 'now is not a valid date');

  let activatesAt: number | undefined;
  if (overrides.activatesAt !== undefined) {
    const at = instant(overrides.activatesAt, 'activatesAt');
    if (at > nowMs) activatesAt = at;
  } else {
    const pendingDays = overrides.pendingDays ?? settings.pendingDays;
    if (!isDays(pendingDays, 0)) {
      throw new LedgerError('invalid_lot_dates', `pendingDays must be a whole number from 0 to ${MAX_SETTINGS_DAYS}`);
    }
    if (pendingDays > 0) activatesAt = nowMs + pendingDays * DAY_MS;
  }
  const start = activatesAt ?? nowMs;

  let expiresAt: number | undefined;
  if (overrides.validUntil !== undefined) {
    expiresAt = /^\d{4}-\d{2}-\d{2}$/.test(overrides.validUntil)
      ? instant(overrides.validUntil, 'validUntil') + DAY_MS - 1
      : instant(overrides.validUntil, 'validUntil');
  } else if (overrides.validityDays !== undefined) {
    if (!isDays(overrides.validityDays, 1)) {
      throw new LedgerError('invalid_lot_dates', `validityDays must be a whole number from 1 to ${MAX_SETTINGS_DAYS}`);
    }
    expiresAt = start + overrides.validityDays * DAY_MS;
  } else {
    expiresAt = policyExpiry(settings.expiry, start);
  }
  if (expiresAt !== undefined && expiresAt <= start) {
    throw new LedgerError('invalid_lot_dates', 'the points would expire before they become active', {
      activatesAt: new Date(start).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
    });
  }
  return {
    state: activatesAt === undefined ? 'active' : 'pending',
    ...(activatesAt !== undefined && { activatesAt: new Date(activatesAt).toISOString() }),
    ...(expiresAt !== undefined && { expiresAt: new Date(expiresAt).toISOString() }),
  };
}

function policyExpiry(expiry: ExpiryPolicy, start: number): number | undefined {
  // start + 1 ms: a lot activating on the very last millisecond of a period gets the next period.
  const after = new Date(start + 1);
  switch (expiry.policy) {
    case 'never':
      return undefined;
    case 'after_days':
      return start + expiry.days * DAY_MS;
    case 'end_of_month':
      return Date.UTC(after.getUTCFullYear(), after.getUTCMonth() + 1, 1) - 1;
    case 'end_of_year':
      return Date.UTC(after.getUTCFullYear() + 1, 0, 1) - 1;
  }
}

function instant(iso: string, field: string): number {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) throw new LedgerError('invalid_lot_dates', `${field} is not a valid date: ${iso}`);
  return at;
}

function isDays(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_SETTINGS_DAYS;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
