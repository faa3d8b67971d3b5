import { LedgerError } from '../errors';
import type { CustomerEvent, CustomerKeyEvent, CustomerProfile } from '../events';
import {
  CUSTOMER_ID_PATTERN,
  PROFILE_FIELDS,
  type CustomerCommand,
  type CustomerKeyCommand,
  type ProfileField,
  type RegisterCustomer,
  type ReleaseCustomerKey,
  type ReserveCustomerKey,
  type UpdateCustomer,
} from './commands';
import type { CustomerKeyState, CustomerState } from './fold';

/**
 * A customer registers once, in one store, and changes its profile after that. Uniqueness of
 * profile values across customers is the key decider's rule (below), kept on streams of its own.
 */
export function decideCustomer(command: CustomerCommand, state: CustomerState): CustomerEvent[] {
  switch (command.type) {
    case 'RegisterCustomer':
      return registerCustomer(command, state);
    case 'UpdateCustomer':
      return updateCustomer(command, state);
  }
}

export function registerCustomer(command: RegisterCustomer, state: CustomerState): CustomerEvent[] {
  const { customerId, tenant, storeCode, profile, now } = command.data;
  if (state.status === 'registered') {
    throw new LedgerError('customer_exists', `customer ${customerId} already exists`, { field: 'customerId' });
  }
  if (!CUSTOMER_ID_PATTERN.test(customerId)) {
    throw new LedgerError('invalid_customer_id', `customer id ${JSON.stringify(customerId)} is malformed`, { field: 'customerId' });
  }
  const given: CustomerProfile = {};
  for (const field of PROFILE_FIELDS) if (typeof profile[field] === 'string') given[field] = profile[field];
  return [{ type: 'CustomerRegistered', data: { ...given, customerId, tenant, storeCode, registeredAt: now } }];
}

/** Only what differs from the profile goes into the event; a change that changes nothing yields nothing. */
export function updateCustomer(command: UpdateCustomer, state: CustomerState): CustomerEvent[] {
  if (state.status !== 'registered') throw new LedgerError('customer_not_found', 'customer not found');
  const { change, now } = command.data;
  const changed: Partial<Record<ProfileField, string | null>> = {};
  for (const field of PROFILE_FIELDS) {
    const next = change[field];
    if (next !== undefined && next !== (state.profile[field] ?? null)) changed[field] = next;
  }
  if (!Object.keys(changed).length) return [];
  return [{ type: 'CustomerUpdated', data: { ...changed, updatedAt: now } }];
}

/** A value unique in a store has at most one holder; its holder claiming it again changes nothing. */
export function decideKey(command: CustomerKeyCommand, state: CustomerKeyState): CustomerKeyEvent[] {
  switch (command.type) {
    case 'ReserveCustomerKey':
      return reserveKey(command, state);
    case 'ReleaseCustomerKey':
      return releaseKey(command, state);
  }
}

export function reserveKey(command: ReserveCustomerKey, state: CustomerKeyState): CustomerKeyEvent[] {
  const { customerId, field, value, now, staleHolder } = command.data;
  if (state.status === 'reserved') {
    if (state.customerId === customerId) return [];
    if (state.customerId !== staleHolder) {
      // the field, not the holder, is named: another customer's id is not the caller's to learn
      throw new LedgerError('customer_exists', `another customer in this store already has this ${field}`, { field });
    }
  }
  return [{ type: 'CustomerKeyReserved', data: { customerId, field, value, at: now } }];
}

/** Only the holder gives a value back; a value someone else took over since is left alone. */
export function releaseKey(command: ReleaseCustomerKey, state: CustomerKeyState): CustomerKeyEvent[] {
  const { customerId, field, value, now } = command.data;
  if (state.status !== 'reserved' || state.customerId !== customerId) return [];
  return [{ type: 'CustomerKeyReleased', data: { customerId, field, value, at: now } }];
}
