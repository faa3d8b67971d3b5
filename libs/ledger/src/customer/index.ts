import type { Decider } from '../decider';
import type { CustomerEvent, CustomerKeyEvent } from '../events';
import type { CustomerCommand, CustomerKeyCommand } from './commands';
import { decideCustomer, decideKey } from './decide';
import { evolveCustomer, evolveKey, initialCustomerState, initialKeyState, type CustomerKeyState, type CustomerState } from './fold';

export * from './commands';
export * from './decide';
export * from './fold';

/** A customer's profile stream (`customer-<tenant>:<customerId>`) as one decider. */
export const customerDecider: Decider<CustomerState, CustomerCommand, CustomerEvent> = {
  decide: decideCustomer,
  evolve: evolveCustomer,
  initialState: initialCustomerState,
};

/** One unique value's reservation stream (`customerKey-<tenant>:<store>:<field>:<value>`) as one decider. */
export const customerKeyDecider: Decider<CustomerKeyState, CustomerKeyCommand, CustomerKeyEvent> = {
  decide: decideKey,
  evolve: evolveKey,
  initialState: initialKeyState,
};
