import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EventStore } from '@app/event-store';
import { Clock, customerNotificationStream, CustomerNotificationRequested, NotificationChannel } from '@app/ledger';
import { deterministicUuid } from '../ids';
import type { StoreRef } from '../points/points.service';
import { currentContext, metadataFor } from '../request-context';
import { CLOCK, EVENT_STORE } from '../tokens';

/** What a customer is to be told: the change their points underwent and the merchant's words for it. */
export type NotificationRequest = Pick<CustomerNotificationRequested['data'], 'change' | 'points' | 'transferId' | 'reason' | 'locale'>;

/**
 * Records requests to tell customers about their points (Salla's channel_send), one event per customer
 * and channel on the customer's notification stream. Delivery is not the request's business: e-mail is
 * sent by EmailNotificationDelivery from the stored events, other channels by the shop's own gateway.
 */
@Injectable()
export class CustomerNotifications {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Appends one CustomerNotificationRequested per channel. Under an idempotency key the ids derive from
   * it (and the customer and channel), so a retried request stores each notification once.
   */
  async request(store: StoreRef, customerId: string, channels: readonly NotificationChannel[], notification: NotificationRequest): Promise<void> {
    if (!channels.length) return;
    const context = currentContext();
    const streamId = customerNotificationStream(store.tenant, store.storeCode, customerId);
    const requestedAt = this.clock.now().toISOString();
    const metadata = metadataFor(store.tenant, store.storeCode, context) as unknown as Record<string, unknown>;
    const events = [...new Set(channels)].map((channel) => {
      const notificationId = context.idempotencyScope ? deterministicUuid(context.idempotencyScope, `notify:${customerId}:${channel}`) : randomUUID();
      const event: CustomerNotificationRequested = {
        type: 'CustomerNotificationRequested',
        data: { notificationId, tenant: store.tenant, storeCode: store.storeCode, customerId, channel, ...notification, requestedAt },
      };
      return { id: notificationId, type: event.type, data: event.data, metadata };
    });
    await this.events.appendToStream(streamId, events, { expectedRevision: 'any' });
  }
}
