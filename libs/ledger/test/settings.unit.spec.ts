import { LedgerError } from '../src/errors';
import { DEFAULT_STORE_SETTINGS, parseStoreSettings, resolveLotDates, sameStoreSettings, storeSettingsErrors, type StoreSettings } from '../src/settings';

const now = '2026-01-15T10:00:00.000Z';
const settings = (change: Partial<StoreSettings> = {}): StoreSettings => ({ ...DEFAULT_STORE_SETTINGS, ...change });

describe('store settings', () => {
  it('defaults: never expire, no pending days, p2p allowed, open on first add', () => {
    expect(DEFAULT_STORE_SETTINGS).toEqual({
      expiry: { policy: 'never' },
      pendingDays: 0,
      p2pAllowed: true,
      openAccountOnFirstAdd: true,
    });
    expect(parseStoreSettings({})).toEqual(DEFAULT_STORE_SETTINGS);
  });

  it('a partial object is laid over the defaults', () => {
    expect(parseStoreSettings({ expiry: { policy: 'after_days', days: 30 }, p2pAllowed: false })).toEqual({
      ...DEFAULT_STORE_SETTINGS,
      expiry: { policy: 'after_days', days: 30 },
      p2pAllowed: false,
    });
  });

  it('invalid settings list every problem', () => {
    expect(
      storeSettingsErrors({ expiry: { policy: 'after_days', days: 0 }, pendingDays: -1, p2pAllowed: 'yes', openAccountOnFirstAdd: 1 }),
    ).toHaveLength(4);
    expect(storeSettingsErrors({ expiry: { policy: 'sometimes' } })).toHaveLength(1);
    expect(storeSettingsErrors('x')).toEqual(['settings must be an object']);
    expect(() => parseStoreSettings({ pendingDays: 1.5 })).toThrow(LedgerError);
  });

  it('unknown fields are refused, each named first in its message', () => {
    expect(storeSettingsErrors({ pendingDayz: 3, p2pAllowed: true })).toEqual(['pendingDayz is not a store setting']);
    expect(storeSettingsErrors({ expiry: { policy: 'never', dayz: 1 } })).toEqual(['expiry.dayz is not a store setting']);
    expect(() => parseStoreSettings({ color: 'red' })).toThrow(LedgerError);
  });

  it('settings are the same when every field is, whatever the key order', () => {
    const changed = parseStoreSettings({ expiry: { policy: 'after_days', days: 30 } });
    expect(sameStoreSettings(changed, { openAccountOnFirstAdd: true, p2pAllowed: true, pendingDays: 0, expiry: { days: 30, policy: 'after_days' } })).toBe(true);
    expect(sameStoreSettings(changed, parseStoreSettings({ expiry: { policy: 'after_days', days: 31 } }))).toBe(false);
    expect(sameStoreSettings(DEFAULT_STORE_SETTINGS, parseStoreSettings({}))).toBe(true);
    expect(sameStoreSettings(DEFAULT_STORE_SETTINGS, parseStoreSettings({ p2pAllowed: false }))).toBe(false);
  });
});

describe('resolveLotDates', () => {
  it('default policy: active now, never expires', () => {
    expect(resolveLotDates(settings(), {}, now)).toEqual({ state: 'active' });
  });

  it('after_days counts from the moment the points become active', () => {
    expect(resolveLotDates(settings({ expiry: { policy: 'after_days', days: 30 } }), {}, now)).toEqual({
      state: 'active',
      expiresAt: '2026-02-14T10:00:00.000Z',
    });
    expect(resolveLotDates(settings({ expiry: { policy: 'after_days', days: 30 }, pendingDays: 5 }), {}, now)).toEqual({
      state: 'pending',
      activatesAt: '2026-01-20T10:00:00.000Z',
      expiresAt: '2026-02-19T10:00:00.000Z',
    });
  });

  it('end_of_month is the last millisecond of the month, UTC', () => {
    expect(resolveLotDates(settings({ expiry: { policy: 'end_of_month' } }), {}, '2028-02-10T00:00:00.000Z').expiresAt).toBe(
      '2028-02-29T23:59:59.999Z',
    );
    // Activating on the last millisecond of a month rolls to the next one rather than expiring at once.
    expect(resolveLotDates(settings({ expiry: { policy: 'end_of_month' } }), {}, '2026-01-31T23:59:59.999Z').expiresAt).toBe(
      '2026-02-28T23:59:59.999Z',
    );
  });

  it('end_of_year is the last millisecond of Dec 31, UTC', () => {
    expect(resolveLotDates(settings({ expiry: { policy: 'end_of_year' } }), {}, now).expiresAt).toBe('2026-12-31T23:59:59.999Z');
  });

  it('an override beats the policy', () => {
    const policy = settings({ expiry: { policy: 'after_days', days: 30 }, pendingDays: 5 });
    expect(resolveLotDates(policy, { validityDays: 1, pendingDays: 0 }, now)).toEqual({
      state: 'active',
      expiresAt: '2026-01-16T10:00:00.000Z',
    });
    expect(resolveLotDates(policy, { validUntil: '2026-03-01' }, now).expiresAt).toBe('2026-03-01T23:59:59.999Z');
    expect(resolveLotDates(policy, { activatesAt: '2026-01-17T00:00:00.000Z' }, now)).toEqual({
      state: 'pending',
      activatesAt: '2026-01-17T00:00:00.000Z',
      expiresAt: '2026-02-16T00:00:00.000Z',
    });
    // An activation time already reached means active at once.
    expect(resolveLotDates(policy, { activatesAt: '2026-01-01T00:00:00.000Z' }, now).state).toBe('active');
  });

  it('an expiry before activation is an error', () => {
    const attempt = () =>
      resolveLotDates(settings(), { activatesAt: '2026-02-01T00:00:00.000Z', validUntil: '2026-01-20T00:00:00.000Z' }, now);
    expect(attempt).toThrow(LedgerError);
    expect(attempt).toThrow(/expire before/);
    expect(() => resolveLotDates(settings(), { validUntil: '2026-01-01T00:00:00.000Z' }, now)).toThrow(/expire before/);
    expect(() => resolveLotDates(settings(), { validUntil: 'soon' }, now)).toThrow(/not a valid date/);
    expect(() => resolveLotDates(settings(), { validityDays: 0 }, now)).toThrow(/validityDays/);
  });
});
