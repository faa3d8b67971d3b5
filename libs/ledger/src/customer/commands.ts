import type { Command } from '../decider';

/** The profile a customer carries; every field is optional text. */
export const PROFILE_FIELDS = ['customerNumber', 'email', 'phone', 'firstName', 'lastName', 'loyaltyCardNumber'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** Profile fields that must be unique within a store when given. */
export const UNIQUE_CUSTOMER_FIELDS = ['customerNumber', 'email', 'phone', 'loyaltyCardNumber'] as const;
export type UniqueCustomerField = (typeof UNIQUE_CUSTOMER_FIELDS)[number];

export type Profile = Readonly<Partial<Record<ProfileField, string>>>;

/** A change to a profile: a string sets the field, null clears it, absent leaves it. */
export type ProfileChange = Readonly<Partial<Record<ProfileField, string | null>>>;

/** What names a customer: 1-128 letters, digits or . _ @ + - (starting with a letter or digit), as every dialect accepts. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

/** The value a unique key is unique on: e-mail ignores case, as lookups do. */
export function customerKeyValue(field: UniqueCustomerField, value: string): string {
  return field === 'email' ? value.toLowerCase() : value;
}

export type RegisterCustomer = Command<
  'RegisterCustomer',
  { customerId: string; tenant: string; storeCode: string; profile: Profile; now: string }
>;

export type UpdateCustomer = Command<'UpdateCustomer', { change: ProfileChange; now: string }>;

export type CustomerCommand = RegisterCustomer | UpdateCustomer;

/** Claims a unique value for a customer on its reservation stream. */
export type ReserveCustomerKey = Command<
  'ReserveCustomerKey',
  {
    customerId: string;
    field: UniqueCustomerField;
    value: string;
    now: string;
    /** a holder the caller found no longer carries the value (a claim a crash left behind): it is taken over */
    staleHolder?: string;
  }
>;

/** Gives a value back; only its holder can. */
export type ReleaseCustomerKey = Command<'ReleaseCustomerKey', { customerId: string; field: UniqueCustomerField; value: string; now: string }>;

export type CustomerKeyCommand = ReserveCustomerKey | ReleaseCustomerKey;
