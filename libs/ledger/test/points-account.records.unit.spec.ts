import type { PointsAccountEvent } from '../src/events';
import { pointsAccountDecider, type PointsAccountCommand } from '../src/points-account';
import { DeciderSpecification } from './decider-specification';
import { added, blocked, day, expired, opened, spent } from './fixtures';

/** What events record, and when the scheduler's rules fire: exactly at their instant, not a millisecond earlier. */
const spec = DeciderSpecification.for(pointsAccountDecider);
const ms = (iso: string, delta: number): string => new Date(Date.parse(iso) + delta).toISOString();
const details = { comment: 'birthday', reason: 'campaign', customerReason: 'Happy birthday', referenceId: 'ref-1', transactionId: 'tx-1' };

describe('points account: events record what was given and nothing else', () => {
  it('an_add_records_every_detail_given', () => {
    spec
      .given([opened])
      .when({
        type: 'AddPoints',
        data: { transferId: 'lot-1', points: 1_00, state: 'pending', now: day(2), occurredAt: day(1), activatesAt: day(3), expiresAt: day(9), ...details },
      })
      .thenState((_, events) => {
        // toStrictEqual: an undefined field would survive a JSON round trip as a missing one and break replays' equality
        expect(events).toStrictEqual([added('lot-1', 1_00, { state: 'pending', createdAt: day(2), occurredAt: day(1), activatesAt: day(3), expiresAt: day(9), ...details })]);
      });
  });

  it('an_add_without_details_records_no_empty_fields', () => {
    spec
      .given([opened])
      .when({ type: 'AddPoints', data: { transferId: 'lot-1', points: 1_00, state: 'active', now: day(2) } })
      .thenState((_, events) => expect(events).toStrictEqual([added('lot-1', 1_00, { createdAt: day(2) })]));
  });

  it('a_spend_records_every_detail_given', () => {
    spec
      .given([opened, added('lot-1', 10_00)])
      .when({ type: 'SpendPoints', data: { transferId: 's', points: 1_00, now: day(2), occurredAt: day(1), ...details } })
      .thenState((_, events) =>
        expect(events).toStrictEqual([spent('s', 1_00, [{ lotId: 'lot-1', points: 1_00 }], { createdAt: day(2), occurredAt: day(1), ...details })]),
      );
  });

  it('a_block_records_its_comment_reason_and_reference', () => {
    const { comment, reason, referenceId } = details;
    spec
      .given([opened, added('lot-1', 10_00)])
      .when({ type: 'BlockPoints', data: { transferId: 'b', points: 1_00, now: day(2), comment, reason, referenceId } })
      .thenState((after, events) => {
        expect(events).toStrictEqual([{ type: 'PointsBlocked', data: { transferId: 'b', points: 1_00, createdAt: day(2), comment, reason, referenceId } }]);
        expect(after.balance).toMatchObject({ available: 9_00, blocked: 1_00 });
      });
    spec
      .given([opened, added('lot-1', 10_00)])
      .when({ type: 'BlockPoints', data: { transferId: 'b', points: 1_00, now: day(2) } })
      .thenState((_, events) => expect(events).toStrictEqual([blocked('b', 1_00, day(2))]));
  });

  it('both_sides_of_a_p2p_transfer_record_its_comment', () => {
    spec
      .given([opened, added('lot-1', 10_00, { expiresAt: day(9) })])
      .when({ type: 'SendP2P', data: { transferId: 'p', p2pId: 'x', points: 1_00, senderCustomerId: 'alice', receiverCustomerId: 'bob', now: day(2), comment: 'thanks' } })
      .then([
        spent('p', 1_00, [{ lotId: 'lot-1', points: 1_00, expiresAt: day(9) }], { type: 'p2p_spending', createdAt: day(2), p2pId: 'x', receiverCustomerId: 'bob', comment: 'thanks' }),
      ]);
    spec
      .given([opened])
      .when({ type: 'ReceiveP2P', data: { transferId: 'r', p2pId: 'y', senderCustomerId: 'bob', receiverCustomerId: 'alice', allocations: [{ lotId: 'l', points: 1_00 }], now: day(2), comment: 'thanks' } })
      .thenState((_, events) =>
        expect(events).toStrictEqual([
          { type: 'PointsAdded', data: { transferId: 'r', type: 'p2p_adding', points: 1_00, state: 'active', createdAt: day(2), p2pId: 'y', senderCustomerId: 'bob', comment: 'thanks' } },
        ]),
      );
  });

  it('a_spend_records_no_expiry_in_its_allocations_only_a_p2p_send_does', () => {
    spec
      .given([opened, added('lot-1', 10_00, { expiresAt: day(9) })])
      .when({ type: 'SpendPoints', data: { transferId: 's', points: 1_00, now: day(2) } })
      .thenState((_, events) => expect(events).toStrictEqual([spent('s', 1_00, [{ lotId: 'lot-1', points: 1_00 }], { createdAt: day(2) })]));
  });

  it('a_p2p_receipt_opens_the_account_when_the_store_allows_it', () => {
    spec
      .given([])
      .when({
        type: 'ReceiveP2P',
        data: { transferId: 'r', p2pId: 'y', senderCustomerId: 'bob', receiverCustomerId: 'alice', allocations: [{ lotId: 'l', points: 1_00 }], now: day(0), openAccount: opened.data },
      })
      .thenState((after, events) => {
        expect(events[0]).toEqual({ type: 'AccountOpened', data: { ...opened.data, openedAt: day(0) } });
        expect(after.balance).toMatchObject({ available: 1_00, p2pReceived: 1_00 });
      });
  });

  it('a_p2p_receipt_puts_the_lots_without_expiry_last_and_numbers_the_later_lots', () => {
    spec
      .given([opened])
      .when({
        type: 'ReceiveP2P',
        data: {
          transferId: 'r',
          p2pId: 'y',
          senderCustomerId: 'bob',
          receiverCustomerId: 'alice',
          allocations: [
            { lotId: 'a', points: 1_00 },
            { lotId: 'b', points: 2_00, expiresAt: day(20) },
            { lotId: 'c', points: 3_00, expiresAt: day(10) },
            { lotId: 'd', points: 4_00, expiresAt: day(20) },
          ],
          now: day(1),
        },
      })
      .thenState((_, events) =>
        expect(events.map((event) => event.type === 'PointsAdded' && [event.data.transferId, event.data.points, event.data.expiresAt])).toEqual([
          ['r', 3_00, day(10)],
          ['r-2', 6_00, day(20)],
          ['r-3', 1_00, undefined],
        ]),
      );
  });

  it('a_repeated_p2p_send_spends_once', () => {
    const send: PointsAccountCommand = { type: 'SendP2P', data: { transferId: 'p-retry', p2pId: 'x', points: 1_00, senderCustomerId: 'alice', receiverCustomerId: 'bob', now: day(2) } };
    spec
      .given([opened, added('lot-1', 10_00), spent('p', 1_00, [{ lotId: 'lot-1', points: 1_00 }], { type: 'p2p_spending', p2pId: 'x', receiverCustomerId: 'bob' })])
      .when(send)
      .then([]);
    // the same p2pId on an ordinary spending or another p2p is no retry
    spec
      .given([opened, added('lot-1', 10_00), spent('p', 1_00, [{ lotId: 'lot-1', points: 1_00 }], { type: 'p2p_spending', p2pId: 'other', receiverCustomerId: 'bob' })])
      .when(send)
      .thenState((_, events) => expect(events).toHaveLength(1));
  });

  it('a_p2p_receipt_for_another_p2p_id_is_credited', () => {
    spec
      .given([opened, added('r', 1_00, { type: 'p2p_adding', p2pId: 'other', senderCustomerId: 'bob' })])
      .when({ type: 'ReceiveP2P', data: { transferId: 'r2', p2pId: 'y', senderCustomerId: 'bob', receiverCustomerId: 'alice', allocations: [{ lotId: 'l', points: 1_00 }], now: day(2) } })
      .thenState((_, events) => expect(events).toHaveLength(1));
  });
});

describe('points account: the scheduler fires at the instant, not before', () => {
  const pending = added('pending-1', 5_00, { state: 'pending', activatesAt: day(3) });
  const expiring = added('expiring-1', 7_00, { expiresAt: day(3) });
  const activatedAt = (at: string): PointsAccountEvent => ({ type: 'PointsActivated', data: { transferId: 'pending-1', points: 5_00, activatedAt: at } });

  it('a_scheduled_activation_activates_a_pending_lot_at_its_activation_instant_and_not_a_millisecond_before', () => {
    const activate = (now: string): PointsAccountCommand => ({ type: 'ActivateLot', data: { transferId: 'pending-1', now, trigger: 'scheduled' } });
    spec.given([opened, pending]).when(activate(day(3))).then([activatedAt(day(3))]);
    spec.given([opened, pending]).when(activate(ms(day(3), -1))).then([]);
  });

  it('a_scheduled_activation_leaves_a_pending_lot_without_a_date_and_a_spending_alone', () => {
    spec
      .given([opened, added('manual-1', 5_00, { state: 'pending' })])
      .when({ type: 'ActivateLot', data: { transferId: 'manual-1', now: day(30), trigger: 'scheduled' } })
      .then([]);
    spec
      .given([opened, added('lot-1', 5_00), spent('s', 1_00, [{ lotId: 'lot-1', points: 1_00 }])])
      .when({ type: 'ActivateLot', data: { transferId: 's', now: day(30), trigger: 'scheduled' } })
      .then([]);
  });

  it('a_scheduled_expiry_expires_an_active_lot_at_its_expiry_instant_and_not_a_millisecond_before', () => {
    const expire = (now: string): PointsAccountCommand => ({ type: 'ExpireLot', data: { transferId: 'expiring-1', now, trigger: 'scheduled' } });
    spec.given([opened, expiring]).when(expire(day(3))).then([expired('expiring-1', 7_00, day(3))]);
    spec.given([opened, expiring]).when(expire(ms(day(3), -1))).then([]);
  });

  it('a_scheduled_expiry_leaves_a_lot_without_expiry_a_pending_lot_and_a_block_alone', () => {
    spec
      .given([opened, added('lot-1', 5_00)])
      .when({ type: 'ExpireLot', data: { transferId: 'lot-1', now: day(30), trigger: 'scheduled' } })
      .then([]);
    spec
      .given([opened, added('pending-2', 5_00, { state: 'pending', expiresAt: day(3) })])
      .when({ type: 'ExpireLot', data: { transferId: 'pending-2', now: day(30), trigger: 'scheduled' } })
      .then([]);
    spec
      .given([opened, added('lot-1', 5_00), blocked('b', 1_00)])
      .when({ type: 'ExpireLot', data: { transferId: 'b', now: day(30), trigger: 'scheduled' } })
      .then([]);
  });

  it('a_manual_expiry_expires_an_active_lot_whatever_its_date', () => {
    spec
      .given([opened, added('lot-1', 5_00)])
      .when({ type: 'ExpireLot', data: { transferId: 'lot-1', now: day(1) } })
      .then([expired('lot-1', 5_00, day(1))]);
  });

  it('due_lots_activate_and_expire_at_their_instant_and_not_a_millisecond_before', () => {
    spec.given([opened, pending, expiring]).when({ type: 'ActivateDueLots', data: { now: day(3) } }).then([activatedAt(day(3))]);
    spec.given([opened, pending, expiring]).when({ type: 'ActivateDueLots', data: { now: ms(day(3), -1) } }).then([]);
    spec.given([opened, pending, expiring]).when({ type: 'ExpireDueLots', data: { now: day(3) } }).then([expired('expiring-1', 7_00, day(3))]);
    spec.given([opened, pending, expiring]).when({ type: 'ExpireDueLots', data: { now: ms(day(3), -1) } }).then([]);
  });

  it('a_lot_that_activates_and_expires_by_a_spend_is_activated_then_expired_and_never_spent', () => {
    spec
      .given([opened, added('short', 5_00, { state: 'pending', activatesAt: day(2), expiresAt: day(3) }), added('lot-1', 5_00)])
      .when({ type: 'BlockPoints', data: { transferId: 'b', points: 5_00, now: day(4) } })
      .then([
        { type: 'PointsActivated', data: { transferId: 'short', points: 5_00, activatedAt: day(4) } },
        expired('short', 5_00, day(4)),
        blocked('b', 5_00, day(4)),
      ]);
  });

  it('a_p2p_send_settles_due_expiries_first', () => {
    spec
      .given([opened, added('expiring-1', 7_00, { expiresAt: day(3) }), added('lot-1', 1_00)])
      .when({ type: 'SendP2P', data: { transferId: 'p', p2pId: 'x', points: 2_00, senderCustomerId: 'alice', receiverCustomerId: 'bob', now: day(3) } })
      .thenThrows('insufficient_points');
  });
});

describe('points account: spending order', () => {
  it('a_spend_draws_from_no_lot_it_does_not_need', () => {
    spec
      .given([opened, added('first', 10_00, { expiresAt: day(5) }), added('second', 10_00, { expiresAt: day(6) }), added('third', 10_00)])
      .when({ type: 'SpendPoints', data: { transferId: 's', points: 10_00, now: day(1) } })
      .then([spent('s', 10_00, [{ lotId: 'first', points: 10_00 }], { createdAt: day(1) })]);
  });

  it('a_spend_skips_lots_already_spent_to_zero_pending_and_cancelled', () => {
    spec
      .given([
        opened,
        added('empty', 10_00, { expiresAt: day(5) }),
        spent('s1', 10_00, [{ lotId: 'empty', points: 10_00 }]),
        added('pending', 10_00, { state: 'pending', expiresAt: day(5) }),
        added('gone', 10_00, { expiresAt: day(5) }),
        { type: 'PointsCancelled', data: { transferId: 'gone', points: 10_00, cancelledType: 'adding', cancelledAt: day(1) } },
        added('full', 10_00),
      ])
      .when({ type: 'SpendPoints', data: { transferId: 's2', points: 3_00, now: day(2) } })
      .then([spent('s2', 3_00, [{ lotId: 'full', points: 3_00 }], { createdAt: day(2) })]);
  });
});

describe('points account: what the scheduler leaves alone', () => {
  it('due_activations_leave_pending_lots_without_a_date_and_active_lots_alone', () => {
    spec
      .given([opened, added('manual', 5_00, { state: 'pending' }), added('active', 5_00, { activatesAt: day(1) })])
      .when({ type: 'ActivateDueLots', data: { now: day(30) } })
      .then([]);
  });

  it('due_expiries_leave_pending_lots_lots_without_expiry_and_expired_lots_alone', () => {
    spec
      .given([
        opened,
        added('pending', 5_00, { state: 'pending', expiresAt: day(2) }),
        added('forever', 5_00),
        added('gone', 5_00, { expiresAt: day(2) }),
        expired('gone', 5_00, day(2)),
      ])
      .when({ type: 'ExpireDueLots', data: { now: day(30) } })
      .then([]);
  });

  it('a_p2p_send_from_a_lot_without_expiry_records_no_expiry', () => {
    spec
      .given([opened, added('forever', 5_00)])
      .when({ type: 'SendP2P', data: { transferId: 'p', p2pId: 'x', points: 1_00, senderCustomerId: 'alice', receiverCustomerId: 'bob', now: day(2) } })
      .thenState((_, events) =>
        expect(events).toStrictEqual([spent('p', 1_00, [{ lotId: 'forever', points: 1_00 }], { type: 'p2p_spending', createdAt: day(2), p2pId: 'x', receiverCustomerId: 'bob' })]),
      );
  });
});
