import { Module } from '@nestjs/common';
import { ErrorWriters } from '../../http/errors.filter';
import { BonusBookingController } from './bonus-booking.controller';
import { shopwareErrorWriter } from './shopware-errors';

/** The Prems bonus system for Shopware: bonus bookings by customer number or id, errors in Shopware's Admin API form. */
@Module({ controllers: [BonusBookingController] })
export class PremsModule {
  constructor(writers: ErrorWriters) {
    writers.register(shopwareErrorWriter);
  }
}
