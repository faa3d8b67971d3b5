import { customerDecider, customerKeyDecider, customerKeyValue, evolveCustomer, evolveKey, PROFILE_FIELDS, UNIQUE_CUSTOMER_FIELDS } from '../src/customer';
import type { CustomerKeyEvent, CustomerRegistered, CustomerUpdated } from '../src/events';
import { DeciderSpecification } from './decider-specification';

const customer = DeciderSpecification.for(customerDecider);
const key = DeciderSpecification.for(customerKeyDecider);

const now = '2026-01-02T10:00:00.000Z';
const registered: CustomerRegistered = {
  type: 'CustomerRegistered',
  data: { customerId: 'ann', tenant: 't', storeCode: 'S', email: 'ann@example.com', firstName: 'Ann', registeredAt: '2026-01-01T00:00:00.000Z' },
};
const updated = (data: Omit<CustomerUpdated['data'], 'updatedAt'>): CustomerUpdated => ({ type: 'CustomerUpdated', data: { ...data, updatedAt: now } });
const reserved = (customerId: string, at = now): CustomerKeyEvent => ({ type: 'CustomerKeyReserved', data: { customerId, field: 'email', value: 'ann@example.com', at } });
const released = (customerId: string): CustomerKeyEvent => ({ type: 'CustomerKeyReleased', data: { customerId, field: 'email', value: 'ann@example.com', at: now } });

describe('customer', () => {
  it('it_registers_a_new_customer_with_the_given_profile_only', () => {
    customer
      .given([])
      .when({ type: 'RegisterCustomer', data: { customerId: 'ann', tenant: 't', storeCode: 'S', profile: { email: 'ann@example.com', phone: undefined }, now } })
      .then([{ type: 'CustomerRegistered', data: { customerId: 'ann', tenant: 't', storeCode: 'S', email: 'ann@example.com', registeredAt: now } }]);
  });

  it('it_refuses_to_register_an_existing_customer', () => {
    customer
      .given([registered])
      .when({ type: 'RegisterCustomer', data: { customerId: 'ann', tenant: 't', storeCode: 'S', profile: {}, now } })
      .thenThrows('customer_exists', (error) => {
        expect(error.httpStatus).toBe(409);
        expect(error.details).toEqual({ field: 'customerId' });
      });
  });

  it('it_refuses_a_malformed_customer_id', () => {
    customer
      .given([])
      .when({ type: 'RegisterCustomer', data: { customerId: 'a:b', tenant: 't', storeCode: 'S', profile: {}, now } })
      .thenThrows('invalid_customer_id', (error) => expect(error.httpStatus).toBe(422));
  });

  it('it_refuses_to_update_an_unregistered_customer', () => {
    customer
      .given([])
      .when({ type: 'UpdateCustomer', data: { change: { firstName: 'X' }, now } })
      .thenThrows('customer_not_found', (error) => expect(error.httpStatus).toBe(404));
  });

  it('an_update_that_changes_nothing_yields_nothing', () => {
    customer
      .given([registered])
      .when({ type: 'UpdateCustomer', data: { change: { firstName: 'Ann', lastName: null, email: 'ann@example.com' }, now } })
      .then([]);
  });

  it('an_update_carries_only_what_changed_a_string_sets_null_clears_absent_leaves', () => {
    customer
      .given([registered])
      .when({ type: 'UpdateCustomer', data: { change: { firstName: null, phone: '+48111', email: 'ann@example.com' }, now } })
      .thenState((after, events) => {
        expect(events).toEqual([updated({ firstName: null, phone: '+48111' })]);
        expect(after).toEqual({ status: 'registered', customerId: 'ann', storeCode: 'S', profile: { email: 'ann@example.com', phone: '+48111' } });
      });
  });

  it('stored_updates_fold_into_the_profile', () => {
    customer
      .given([registered, updated({ lastName: 'Lee' }), updated({ email: null })])
      .when({ type: 'UpdateCustomer', data: { change: { lastName: 'Lee' }, now } })
      .thenState((after) => expect(after).toMatchObject({ profile: { firstName: 'Ann', lastName: 'Lee' } }));
  });
});

describe('customer key', () => {
  it('it_reserves_a_free_value', () => {
    key.given([]).when({ type: 'ReserveCustomerKey', data: { customerId: 'ann', field: 'email', value: 'ann@example.com', now } }).then([reserved('ann')]);
  });

  it('it_reserves_a_released_value_again', () => {
    key
      .given([reserved('bob'), released('bob')])
      .when({ type: 'ReserveCustomerKey', data: { customerId: 'ann', field: 'email', value: 'ann@example.com', now } })
      .then([reserved('ann')]);
  });

  it('its_holder_reserving_it_again_changes_nothing', () => {
    key.given([reserved('ann')]).when({ type: 'ReserveCustomerKey', data: { customerId: 'ann', field: 'email', value: 'ann@example.com', now } }).then([]);
  });

  it('it_refuses_a_value_another_customer_holds_naming_the_field_not_the_holder', () => {
    key
      .given([reserved('bob')])
      .when({ type: 'ReserveCustomerKey', data: { customerId: 'ann', field: 'email', value: 'ann@example.com', now } })
      .thenThrows('customer_exists', (error) => {
        expect(error.details).toEqual({ field: 'email' });
        expect(error.message).not.toContain('bob');
      });
  });

  it('it_takes_over_a_claim_the_caller_found_stale', () => {
    key
      .given([reserved('bob')])
      .when({ type: 'ReserveCustomerKey', data: { customerId: 'ann', field: 'email', value: 'ann@example.com', now, staleHolder: 'bob' } })
      .then([reserved('ann')]);
  });

  it('a_stale_finding_about_an_earlier_holder_does_not_take_over_a_newer_one', () => {
    key
      .given([reserved('bob'), released('bob'), reserved('carl')])
      .when({ type: 'ReserveCustomerKey', data: { customerId: 'ann', field: 'email', value: 'ann@example.com', now, staleHolder: 'bob' } })
      .thenThrows('customer_exists');
  });

  it('only_the_holder_releases_a_value', () => {
    key.given([reserved('bob')]).when({ type: 'ReleaseCustomerKey', data: { customerId: 'ann', field: 'email', value: 'ann@example.com', now } }).then([]);
    key.given([reserved('ann')]).when({ type: 'ReleaseCustomerKey', data: { customerId: 'ann', field: 'email', value: 'ann@example.com', now } }).then([released('ann')]);
    key.given([]).when({ type: 'ReleaseCustomerKey', data: { customerId: 'ann', field: 'email', value: 'ann@example.com', now } }).then([]);
  });
});

describe('customer ids and unique values', () => {
  const register = (customerId: string) =>
    customer.given([]).when({ type: 'RegisterCustomer', data: { customerId, tenant: 't', storeCode: 'S', profile: {}, now } });

  it('a_customer_id_is_a_letter_or_digit_then_up_to_127_of_letters_digits_and_dot_underscore_at_plus_minus', () => {
    for (const customerId of ['a', '9', 'Ann.Lee_1@shop+x-y', 'a'.repeat(128)]) {
      register(customerId).then([{ type: 'CustomerRegistered', data: { customerId, tenant: 't', storeCode: 'S', registeredAt: now } }]);
    }
  });

  it.each(['', '.ann', '-ann', 'ann:1', ':ann', 'ann lee', 'a'.repeat(129)])('it_refuses_the_customer_id_%p', (customerId) => {
    register(customerId).thenThrows('invalid_customer_id', (error) => {
      expect(error.message).toBe(`customer id ${JSON.stringify(customerId)} is malformed`);
      expect(error.details).toEqual({ field: 'customerId' });
    });
  });

  it('it_registers_no_profile_field_that_was_not_given_as_text', () => {
    customer
      .given([])
      .when({ type: 'RegisterCustomer', data: { customerId: 'ann', tenant: 't', storeCode: 'S', profile: { email: 'ann@example.com', phone: undefined }, now } })
      .thenState((_, events) =>
        expect(events).toStrictEqual([{ type: 'CustomerRegistered', data: { email: 'ann@example.com', customerId: 'ann', tenant: 't', storeCode: 'S', registeredAt: now } }]),
      );
  });

  it('it_registers_every_profile_field_given_as_text', () => {
    const profile = { customerNumber: 'C1', email: 'ann@example.com', phone: '+48111', firstName: 'Ann', lastName: 'Lee', loyaltyCardNumber: 'L1' };
    expect(PROFILE_FIELDS).toEqual(Object.keys(profile));
    customer
      .given([])
      .when({ type: 'RegisterCustomer', data: { customerId: 'ann', tenant: 't', storeCode: 'S', profile, now } })
      .then([{ type: 'CustomerRegistered', data: { ...profile, customerId: 'ann', tenant: 't', storeCode: 'S', registeredAt: now } }]);
  });

  it('an_email_is_unique_whatever_its_case_other_values_exactly', () => {
    expect(UNIQUE_CUSTOMER_FIELDS).toEqual(['customerNumber', 'email', 'phone', 'loyaltyCardNumber']);
    expect(customerKeyValue('email', 'Ann@Example.COM')).toBe('ann@example.com');
    expect(customerKeyValue('customerNumber', 'AbC')).toBe('AbC');
  });

  it('it_names_what_a_refusal_is_about', () => {
    customer.given([]).when({ type: 'UpdateCustomer', data: { change: {}, now } }).thenThrows('customer_not_found', (error) => expect(error.message).toBe('customer not found'));
    customer
      .given([registered])
      .when({ type: 'RegisterCustomer', data: { customerId: 'ann', tenant: 't', storeCode: 'S', profile: {}, now } })
      .thenThrows('customer_exists', (error) => expect(error.message).toBe('customer ann already exists'));
    key
      .given([reserved('bob')])
      .when({ type: 'ReserveCustomerKey', data: { customerId: 'ann', field: 'email', value: 'ann@example.com', now } })
      .thenThrows('customer_exists', (error) => expect(error.message).toBe('another customer in this store already has this email'));
  });

  it('an_update_stored_before_registration_leaves_the_customer_unregistered', () => {
    customer.given([updated({ firstName: 'X' })]).when({ type: 'UpdateCustomer', data: { change: { firstName: 'Y' }, now } }).thenThrows('customer_not_found');
  });

  it('an_event_of_another_kind_leaves_a_customer_and_a_value_as_they_were', () => {
    const other = { type: 'CustomerNotified', data: {} } as never;
    const customerState = [registered].reduce(evolveCustomer, customerDecider.initialState());
    expect(evolveCustomer(customerState, other)).toBe(customerState);
    const keyState = [reserved('ann')].reduce(evolveKey, customerKeyDecider.initialState());
    expect(evolveKey(keyState, other)).toBe(keyState);
  });
});
