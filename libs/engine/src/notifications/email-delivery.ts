import { Inject, Injectable, Logger } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import type { EventSubscription, GlobalPosition, StoredEvent } from '@app/event-store';
import { CustomerNotificationRequested, toDecimal } from '@app/ledger';
import type { Projection } from '@app/read-models';
import type { EngineConfig } from '../config';
import type { Infrastructure } from '../infrastructure';
import { ENGINE_CONFIG } from '../tokens';

/** Writes no view: it gives the e-mail delivery a durable checkpoint kept like every projection's. */
export const emailDeliveryCheckpoint: Projection = {
  name: 'email-notifications',
  collections: [],
  apply: () => undefined,
};

/** The checkpoint moved under us (a reset by an operator): resubscribe from where it is. */
class Rewound extends Error {}

/**
 * Sends the e-mail notifications customers were promised (CustomerNotificationRequested, channel
 * `email`) through LOYALTY_SMTP_URL, to the e-mail of the registered customer. A consumer of the
 * stored events with its own checkpoint, moved past each e-mail right after it was accepted by the
 * SMTP server, so the requests that asked for them never wait and a restart sends nothing again
 * (only a crash between the server's acceptance and the checkpoint's commit could repeat one; the
 * Message-ID is the event's id, so a receiving system can tell). Customers without a known e-mail
 * and addresses the server refuses for good (5xx) are skipped with a log line; other failures
 * (server down) are retried from the checkpoint.
 */
@Injectable()
export class EmailNotificationDelivery {
  private readonly logger = new Logger(EmailNotificationDelivery.name);
  private subscription?: EventSubscription;
  private loop?: Promise<void>;
  private stopped = true;
  private transport?: Transporter;

  constructor(
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
    @Inject(Symbol.for('Infrastructure')) private readonly infrastructure: Infrastructure,
  ) {}

  /** Starts following the store when LOYALTY_SMTP_URL is set; without it there is nothing to deliver with. */
  start(retryDelayMs: number): void {
    if (!this.stopped || !this.config.smtpUrl) return;
    this.stopped = false;
    this.transport = createTransport(this.config.smtpUrl);
    this.loop = this.run(Math.min(retryDelayMs, 5_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    await this.loop;
    this.transport?.close();
  }

  private async run(retryDelayMs: number): Promise<void> {
    const { projectionStore, eventStore } = this.infrastructure;
    await projectionStore.prepare(emailDeliveryCheckpoint);
    while (!this.stopped) {
      try {
        let after = (await projectionStore.checkpoint(emailDeliveryCheckpoint.name)).position;
        this.subscription = eventStore.subscribeToAll({ after });
        for await (const batch of this.subscription) {
          let passed: StoredEvent[] = [];
          for (const event of batch) {
            if (this.stopped) return;
            passed.push(event);
            const notification = emailNotification(event);
            if (!notification) continue;
            await this.deliver(event, notification);
            after = await this.commit(passed, after);
            passed = [];
          }
          if (passed.length) after = await this.commit(passed, after);
        }
      } catch (error) {
        if (this.stopped) return;
        if (!(error instanceof Rewound)) this.logger.error(`e-mail notifications: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, retryDelayMs));
      }
    }
  }

  private async commit(events: StoredEvent[], after: GlobalPosition): Promise<GlobalPosition> {
    const result = await this.infrastructure.projectionStore.applyBatch(emailDeliveryCheckpoint, events, after);
    if (result.rewoundTo !== undefined) throw new Rewound();
    return result.checkpoint;
  }

  private async deliver(event: StoredEvent, notification: CustomerNotificationRequested['data']): Promise<void> {
    const { tenant, storeCode, customerId } = notification;
    const customer = await this.infrastructure.readModels.customers.byId(tenant, storeCode, customerId);
    if (!customer?.email) {
      this.logger.warn(`e-mail notification ${notification.notificationId}: customer ${customerId} of store ${storeCode} has no known e-mail; not sent`);
      return;
    }
    const message = composeEmail(notification);
    try {
      await (this.transport as Transporter).sendMail({
        from: this.config.mailFrom,
        to: customer.email,
        subject: message.subject,
        text: message.text,
        messageId: `<${event.id}@loyalty-engine>`,
        headers: { 'X-Loyalty-Notification-Id': notification.notificationId },
      });
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      // a refusal for good (no such mailbox, ...) will not change on a retry
      if (typeof code === 'number' && code >= 500 && code < 600) {
        this.logger.warn(`e-mail notification ${notification.notificationId} to customer ${customerId} refused by the server (${code}); not sent`);
        return;
      }
      throw error;
    }
  }
}

function emailNotification(event: StoredEvent): CustomerNotificationRequested['data'] | undefined {
  if (event.type !== 'CustomerNotificationRequested') return undefined;
  const data = event.data as CustomerNotificationRequested['data'];
  return data.channel === 'email' ? data : undefined;
}

/** The e-mail in the language the merchant's request was made in (Salla's default is Arabic). */
export function composeEmail(notification: CustomerNotificationRequested['data']): { subject: string; text: string } {
  const points = notification.points === undefined ? undefined : String(toDecimal(notification.points));
  if (notification.locale === 'en') {
    const what =
      notification.change === 'plus'
        ? `${points} points were added to your balance.`
        : notification.change === 'minus'
          ? `${points} points were deducted from your balance.`
          : points === undefined
            ? 'Your points balance was reset.'
            : `Your points balance was reset; it is now ${points} points.`;
    return { subject: 'Your loyalty points were updated', text: `${what}\n\n${notification.reason}\n` };
  }
  const what =
    notification.change === 'plus'
      ? `تمت إضافة ${points} نقطة إلى رصيدك.`
      : notification.change === 'minus'
        ? `تم خصم ${points} نقطة من رصيدك.`
        : points === undefined
          ? 'تمت إعادة تعيين رصيد نقاطك.'
          : `تمت إعادة تعيين رصيد نقاطك، ورصيدك الآن ${points} نقطة.`;
  return { subject: 'تم تحديث نقاط الولاء', text: `${what}\n\n${notification.reason}\n` };
}
