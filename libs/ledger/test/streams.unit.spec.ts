import {
  customerKeyStream,
  customerNotificationStream,
  customerStream,
  parsePointsAccountStream,
  pointsAccountStream,
} from '../src/streams';

describe('stream names', () => {
  it('a_points_account_stream_names_tenant_store_and_customer_and_parses_back', () => {
    const key = { tenant: 'acme', storeCode: 'web', customerId: 'alice' };
    expect(pointsAccountStream(key)).toBe('pointsAccount-acme:web:alice');
    expect(parsePointsAccountStream(pointsAccountStream(key))).toEqual(key);
  });

  it('it_parses_only_complete_points_account_stream_names', () => {
    expect(parsePointsAccountStream('customer-acme:alice')).toBeUndefined();
    expect(parsePointsAccountStream('xpointsAccount-acme:web:alice')).toBeUndefined();
    expect(parsePointsAccountStream('pointsAccount-acme:web')).toBeUndefined();
    expect(parsePointsAccountStream('pointsAccount-:web:alice')).toBeUndefined();
    expect(parsePointsAccountStream('pointsAccount-acme::alice')).toBeUndefined();
    expect(parsePointsAccountStream('pointsAccount-acme:web:')).toBeUndefined();
    expect(parsePointsAccountStream('pointsAccount-acme:web:alice:extra')).toBeUndefined();
  });

  it('a_customer_is_one_stream_per_tenant_and_its_notifications_one_per_store', () => {
    expect(customerStream('acme', 'alice')).toBe('customer-acme:alice');
    expect(customerNotificationStream('acme', 'web', 'alice')).toBe('customerNotification-acme:web:alice');
  });

  it('a_unique_value_stream_ignores_the_case_of_an_email_only_and_escapes_the_value', () => {
    expect(customerKeyStream('acme', 'web', 'email', 'Alice@Example.com')).toBe('customerKey-acme:web:email:alice%40example.com');
    expect(customerKeyStream('acme', 'web', 'customerNumber', 'AB:1')).toBe('customerKey-acme:web:customerNumber:AB%3A1');
  });
});
