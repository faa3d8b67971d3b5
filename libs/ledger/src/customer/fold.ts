import type { CustomerEvent, CustomerKeyEvent } from '../events';
import { PROFILE_FIELDS, type Profile, type ProfileField } from './commands';

export type UnregisteredCustomer = { readonly status: 'unregistered' };
export type RegisteredCustomer = {
  readonly status: 'registered';
  readonly customerId: string;
  readonly storeCode: string;
  readonly profile: Profile;
};
export type CustomerState = UnregisteredCustomer | RegisteredCustomer;

export function initialCustomerState(): CustomerState {
  return { status: 'unregistered' };
}

/** Sets what the event sets and clears what it clears; fields it does not name keep their value. */
function applyProfile(profile: Profile, data: Readonly<Partial<Record<ProfileField, unknown>>>): Profile {
  const next: Partial<Record<ProfileField, string>> = { ...profile };
  for (const field of PROFILE_FIELDS) {
    if (!(field in data)) continue;
    const value = data[field];
    if (typeof value === 'string') next[field] = value;
    else delete next[field];
  }
  return next;
}

export function evolveCustomer(state: CustomerState, event: CustomerEvent): CustomerState {
  switch (event.type) {
    case 'CustomerRegistered':
      return { status: 'registered', customerId: event.data.customerId, storeCode: event.data.storeCode, profile: applyProfile({}, event.data) };
    case 'CustomerUpdated':
      return state.status === 'registered' ? { ...state, profile: applyProfile(state.profile, event.data) } : state;
    default:
      return state;
  }
}

export type FreeCustomerKey = { readonly status: 'free' };
export type ReservedCustomerKey = { readonly status: 'reserved'; readonly customerId: string; readonly at: string };
export type CustomerKeyState = FreeCustomerKey | ReservedCustomerKey;

export function initialKeyState(): CustomerKeyState {
  return { status: 'free' };
}

export function evolveKey(state: CustomerKeyState, event: CustomerKeyEvent): CustomerKeyState {
  switch (event.type) {
    case 'CustomerKeyReserved':
      return { status: 'reserved', customerId: event.data.customerId, at: event.data.at };
    case 'CustomerKeyReleased':
      return { status: 'free' };
    default:
      return state;
  }
}
