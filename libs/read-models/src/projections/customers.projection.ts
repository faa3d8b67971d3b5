import type { StoredEvent } from '@app/event-store/event-store.port';
import type { CustomerProfile } from '@app/ledger/events';
import { CUSTOMERS, CustomerDocument, customerDocId } from '../documents';
import { Projection, ProjectionContext, utcTime } from '../projection';
import { customerOf, dataOf, lower, orNull } from './event-helpers';

/** Customer lookup by id, customer number, e-mail, phone and loyalty card number, per tenant and store. */
export const customersProjection: Projection = {
  name: 'customers',
  collections: [CUSTOMERS],
  apply(event: StoredEvent, ctx: ProjectionContext): void {
    if (event.type !== 'CustomerRegistered' && event.type !== 'CustomerUpdated') return;
    const customer = customerOf(event);
    if (!customer) return;
    const data = event.data as CustomerProfile;
    // CustomerUpdated carries only what changed: a field absent from the event keeps its value
    const pick = (field: keyof CustomerProfile, current: string | null): string | null => (field in data ? orNull(data[field]) : current);
    ctx.change<CustomerDocument>(CUSTOMERS, customerDocId(customer.tenant, customer.customerId), event.position, (current) => {
      if (event.type === 'CustomerUpdated' && !current) return undefined;
      const registered = event.type === 'CustomerRegistered' ? dataOf(event, 'CustomerRegistered') : undefined;
      const base: CustomerDocument = current ?? {
        id: '',
        position: -1,
        tenant: customer.tenant,
        storeCode: registered?.storeCode ?? '',
        customerId: customer.customerId,
        customerNumber: null,
        email: null,
        emailLc: null,
        phone: null,
        firstName: null,
        lastName: null,
        loyaltyCardNumber: null,
        registeredAt: null,
        updatedAt: null,
      };
      const email = pick('email', base.email);
      return {
        ...base,
        storeCode: registered?.storeCode ?? base.storeCode,
        customerNumber: pick('customerNumber', base.customerNumber),
        email,
        emailLc: lower(email),
        phone: pick('phone', base.phone),
        firstName: pick('firstName', base.firstName),
        lastName: pick('lastName', base.lastName),
        loyaltyCardNumber: pick('loyaltyCardNumber', base.loyaltyCardNumber),
        registeredAt: registered ? utcTime(registered.registeredAt) : base.registeredAt,
        updatedAt: event.type === 'CustomerUpdated' ? utcTime(dataOf(event, 'CustomerUpdated').updatedAt) : base.updatedAt,
      };
    });
  },
};
