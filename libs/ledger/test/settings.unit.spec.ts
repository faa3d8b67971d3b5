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

describe('store settings: the edges of each rule', () => {
  it('it_names_each_invalid_setting_and_its_range', () => {
    expect(
      storeSettingsErrors({ expiry: { policy: 'after_days', days: 0 }, pendingDays: -1, p2pAllowed: 'yes', openAccountOnFirstAdd: 1 }),
    ).toEqual([
      'expiry.days must be a whole number from 1 to 36500',
      'pendingDays must be a whole number from 0 to 36500',
      'p2pAllowed must be true or false',
      'openAccountOnFirstAdd must be true or false',
    ]);
    expect(storeSettingsErrors({ expiry: { policy: 'sometimes' } })).toEqual(['expiry.policy must be one of never, after_days, end_of_month, end_of_year']);
    expect(storeSettingsErrors({ expiry: 'never' })).toEqual(['expiry must be an object']);
    expect(storeSettingsErrors({ expiry: ['never'] })).toEqual(['expiry must be an object']);
    expect(storeSettingsErrors(null)).toEqual(['settings must be an object']);
    expect(storeSettingsErrors([])).toEqual(['settings must be an object']);
  });

  it('it_refuses_invalid_settings_with_every_problem_in_the_details', () => {
    let thrown: unknown;
    try {
      parseStoreSettings({ pendingDays: 1.5, color: 'red' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'invalid_settings',
      message: 'color is not a store setting; pendingDays must be a whole number from 0 to 36500',
      details: { errors: ['color is not a store setting', 'pendingDays must be a whole number from 0 to 36500'] },
    });
  });

  it('it_takes_days_from_the_lower_bound_to_100_years_and_not_beyond', () => {
    expect(storeSettingsErrors({ expiry: { policy: 'after_days', days: 1 }, pendingDays: 0 })).toEqual([]);
    expect(storeSettingsErrors({ expiry: { policy: 'after_days', days: 36_500 }, pendingDays: 36_500 })).toEqual([]);
    expect(storeSettingsErrors({ expiry: { policy: 'after_days', days: 36_501 }, pendingDays: 36_501 })).toHaveLength(2);
    expect(storeSettingsErrors({ expiry: { policy: 'after_days', days: '30' }, pendingDays: 2.5 })).toHaveLength(2);
    expect(storeSettingsErrors({ expiry: { policy: 'after_days' } })).toHaveLength(1);
    expect(storeSettingsErrors({ p2pAllowed: false, openAccountOnFirstAdd: false })).toEqual([]);
  });

  it('a_policy_without_days_keeps_no_days_and_unset_fields_keep_the_base', () => {
    const base = parseStoreSettings({ expiry: { policy: 'after_days', days: 30 }, pendingDays: 2, p2pAllowed: false, openAccountOnFirstAdd: false });
    expect(parseStoreSettings({ expiry: { policy: 'end_of_month' } }, base)).toEqual({ ...base, expiry: { policy: 'end_of_month' } });
    expect(parseStoreSettings({}, base)).toEqual(base);
  });

  it('settings differ when any one field differs', () => {
    const base = parseStoreSettings({});
    for (const change of [{ expiry: { policy: 'end_of_year' } }, { pendingDays: 1 }, { p2pAllowed: false }, { openAccountOnFirstAdd: false }]) {
      expect(sameStoreSettings(base, parseStoreSettings(change))).toBe(false);
    }
  });
});

describe('resolveLotDates: the edges of each rule', () => {
  it('an_activation_at_this_very_instant_is_active_at_once_one_millisecond_later_is_pending', () => {
    expect(resolveLotDates(settings(), { activatesAt: now }, now)).toEqual({ state: 'active' });
    expect(resolveLotDates(settings(), { activatesAt: '2026-01-15T10:00:00.001Z' }, now)).toEqual({
      state: 'pending',
      activatesAt: '2026-01-15T10:00:00.001Z',
    });
  });

  it('an_expiry_at_the_instant_of_activation_is_refused_naming_both', () => {
    let thrown: unknown;
    try {
      resolveLotDates(settings(), { validUntil: now }, now);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'invalid_lot_dates',
      message: 'the points would expire before they become active',
      details: { activatesAt: now, expiresAt: now },
    });
    expect(resolveLotDates(settings(), { validUntil: '2026-01-15T10:00:00.001Z' }, now).expiresAt).toBe('2026-01-15T10:00:00.001Z');
  });

  it('a_request_s_pending_days_beat_the_store_s_and_are_checked', () => {
    expect(resolveLotDates(settings({ pendingDays: 5 }), { pendingDays: 1 }, now)).toEqual({ state: 'pending', activatesAt: '2026-01-16T10:00:00.000Z' });
    expect(() => resolveLotDates(settings(), { pendingDays: -1 }, now)).toThrow('pendingDays must be a whole number from 0 to 36500');
    expect(() => resolveLotDates(settings(), { validityDays: 1.5 }, now)).toThrow('validityDays must be a whole number from 1 to 36500');
  });

  it('a_validity_in_days_counts_from_activation', () => {
    expect(resolveLotDates(settings({ pendingDays: 2 }), { validityDays: 3 }, now)).toEqual({
      state: 'pending',
      activatesAt: '2026-01-17T10:00:00.000Z',
      expiresAt: '2026-01-20T10:00:00.000Z',
    });
  });

  it('now_may_be_a_date_but_must_be_a_valid_one', () => {
    // to the millisecond, which a Date's text form would lose
    expect(resolveLotDates(settings({ expiry: { policy: 'after_days', days: 1 } }), {}, new Date('2026-01-15T10:00:00.123Z'))).toEqual({
      state: 'active',
      expiresAt: '2026-01-16T10:00:00.123Z',
    });
    expect(() => resolveLotDates(settings(), {}, new Date('soon'))).toThrow('now is not a valid date');
    expect(() => resolveLotDates(settings(), {}, 'soon')).toThrow('now is not a valid date: soon');
    expect(() => resolveLotDates(settings(), { activatesAt: 'later' }, now)).toThrow('activatesAt is not a valid date: later');
  });

  it('end_of_year_for_a_lot_activating_on_the_last_millisecond_of_the_year_is_the_next_year', () => {
    expect(resolveLotDates(settings({ expiry: { policy: 'end_of_year' } }), {}, '2026-12-31T23:59:59.999Z').expiresAt).toBe('2027-12-31T23:59:59.999Z');
  });

  it('a_valid_until_that_is_not_a_bare_date_is_taken_to_the_millisecond', () => {
    expect(resolveLotDates(settings(), { validUntil: '2026-03-01T12:00:00.000Z' }, now).expiresAt).toBe('2026-03-01T12:00:00.000Z');
    expect(() => resolveLotDates(settings(), { validUntil: 'x2026-03-01' }, now)).toThrow('validUntil is not a valid date: x2026-03-01');
    expect(() => resolveLotDates(settings(), { validUntil: '2026-13-01' }, now)).toThrow('validUntil is not a valid date: 2026-13-01');
    // an extended-year date is no bare date either
    expect(resolveLotDates(settings(), { validUntil: '+002026-03-01' }, now).expiresAt).toBe('2026-03-01T00:00:00.000Z');
  });
});
