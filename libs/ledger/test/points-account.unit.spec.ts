import { LedgerError } from '../src/errors';
import type { PointsAccountEvent } from '../src/events';
import { parsePoints, toDecimal } from '../src/points';
import { initialState, pointsAccountDecider, type PointsAccountCommand } from '../src/points-account';
import { DeciderSpecification } from './decider-specification';
import { account, added, blocked, day, expired, opened, spent } from './fixtures';

const spec = DeciderSpecification.for(pointsAccountDecider);

describe('points account: balance', () => {
  it('it_spends_exactly_the_available_amount', () => {
    // 100 in the lot, 30 blocked: exactly 70 is available.
    spec
      .given([opened, added('lot-1', 100_00), blocked('block-1', 30_00)])
      .when({ type: 'SpendPoints', data: { transferId: 'spend-1', points: 70_00, now: day(2) } })
      .then([spent('spend-1', 70_00, [{ lotId: 'lot-1', points: 70_00 }], { createdAt: day(2) })]);
  });

  it('it_refuses_to_spend_one_hundredth_more_than_available', () => {
    spec
      .given([opened, added('lot-1', 100_00), blocked('block-1', 30_00)])
      .when({ type: 'SpendPoints', data: { transferId: 'spend-1', points: 70_01, now: day(2) } })
      .thenThrows('insufficient_points', (error) => {
        expect(error.httpStatus).toBe(422);
        // details speak points, like the message ("70.00 available, 70.01 requested"), not hundredths
        expect(error.details).toEqual({ available: 70, requested: 70.01 });
      });
  });

  it('it_refuses_points_outside_the_ledger_range_naming_them_in_points', () => {
    spec
      .given([opened])
      .when({ type: 'AddPoints', data: { transferId: 'lot-1', points: 1_000_000_000_00, state: 'active', now: day(1) } })
      .thenThrows('invalid_points', (error) => {
        expect(error.details).toEqual({ points: 1_000_000_000 });
      });
  });

  it('it_refuses_to_block_more_than_available', () => {
    spec
      .given([opened, added('lot-1', 10_00), blocked('block-1', 4_00)])
      .when({ type: 'BlockPoints', data: { transferId: 'block-2', points: 6_01, now: day(2) } })
      .thenThrows('insufficient_points');
  });

  it('0.1 + 0.2 points is exactly 0.3', () => {
    spec
      .given([opened, added('lot-1', parsePoints('0.1')), added('lot-2', parsePoints(0.2))])
      .when({ type: 'SpendPoints', data: { transferId: 'spend-1', points: parsePoints('0.3'), now: day(1) } })
      .thenState((after, events) => {
        expect(events).toHaveLength(1);
        expect(after.balance.available).toBe(0);
        expect(toDecimal(after.balance.spent)).toBe(0.3);
      });
  });

  it('it_draws_from_three_lots_soonest_expiry_first_and_no_expiry_last', () => {
    spec
      .given([
        opened,
        added('never', 50_00, { createdAt: day(0) }),
        added('late', 20_00, { createdAt: day(1), expiresAt: day(60) }),
        added('soon', 10_00, { createdAt: day(2), expiresAt: day(30) }),
      ])
      .when({ type: 'SpendPoints', data: { transferId: 'spend-1', points: 45_00, now: day(3) } })
      .then([
        spent(
          'spend-1',
          45_00,
          [
            { lotId: 'soon', points: 10_00 },
            { lotId: 'late', points: 20_00 },
            { lotId: 'never', points: 15_00 },
          ],
          { createdAt: day(3) },
        ),
      ]);
  });

  it('it_draws_oldest_first_among_lots_with_the_same_expiry', () => {
    spec
      .given([
        opened,
        added('newer', 10_00, { createdAt: day(2), expiresAt: day(30) }),
        added('older', 10_00, { createdAt: day(1), expiresAt: day(30) }),
      ])
      .when({ type: 'SpendPoints', data: { transferId: 'spend-1', points: 15_00, now: day(3) } })
      .then([
        spent(
          'spend-1',
          15_00,
          [
            { lotId: 'older', points: 10_00 },
            { lotId: 'newer', points: 5_00 },
          ],
          { createdAt: day(3) },
        ),
      ]);
  });
});

describe('points account: lots', () => {
  it('it_refuses_to_activate_a_lot_that_is_not_pending', () => {
    spec
      .given([opened, added('lot-1', 10_00)])
      .when({ type: 'ActivateLot', data: { transferId: 'lot-1', now: day(1) } })
      .thenThrows('transfer_not_pending', (error) => expect(error.httpStatus).toBe(409));
  });

  it('a scheduled activation of a lot that is no longer pending does nothing', () => {
    spec
      .given([opened, added('lot-1', 10_00)])
      .when({ type: 'ActivateLot', data: { transferId: 'lot-1', now: day(1), trigger: 'scheduled' } })
      .then([]);
  });

  it('it_activates_a_pending_lot_by_hand', () => {
    spec
      .given([opened, added('lot-1', 10_00, { state: 'pending' })])
      .when({ type: 'ActivateLot', data: { transferId: 'lot-1', now: day(1) } })
      .thenState((after, events) => {
        expect(events).toEqual([{ type: 'PointsActivated', data: { transferId: 'lot-1', points: 10_00, activatedAt: day(1) } }]);
        expect(after.balance).toMatchObject({ available: 10_00, pending: 0, earned: 10_00 });
      });
  });

  it('it_refuses_to_expire_a_lot_that_is_not_active', () => {
    spec
      .given([opened, added('lot-1', 10_00, { state: 'pending' })])
      .when({ type: 'ExpireLot', data: { transferId: 'lot-1', now: day(1) } })
      .thenThrows('transfer_not_active');
  });

  it('expiry removes the remaining amount and spent points stay spent', () => {
    spec
      .given([opened, added('lot-1', 10_00, { expiresAt: day(5) }), spent('spend-1', 4_00, [{ lotId: 'lot-1', points: 4_00 }])])
      .when({ type: 'ExpireDueLots', data: { now: day(5) } })
      .thenState((after, events) => {
        expect(events).toEqual([expired('lot-1', 6_00, day(5))]);
        expect(after.balance).toMatchObject({ available: 0, spent: 4_00, expired: 6_00, earned: 10_00 });
      });
  });

  it('due activations and expiries wait for their time', () => {
    spec
      .given([
        opened,
        added('pending', 10_00, { state: 'pending', activatesAt: day(3) }),
        added('expiring', 5_00, { expiresAt: day(3) }),
      ])
      .when({ type: 'ActivateDueLots', data: { now: day(2) } })
      .then([]);
  });

  it('a spend settles due activations and expiries first, so a late scheduler never lets expired points be spent', () => {
    spec
      .given([
        opened,
        added('pending', 10_00, { state: 'pending', activatesAt: day(3) }),
        added('expiring', 5_00, { expiresAt: day(3) }),
      ])
      .when({ type: 'SpendPoints', data: { transferId: 'spend-1', points: 10_00, now: day(4) } })
      .then([
        { type: 'PointsActivated', data: { transferId: 'pending', points: 10_00, activatedAt: day(4) } },
        expired('expiring', 5_00, day(4)),
        spent('spend-1', 10_00, [{ lotId: 'pending', points: 10_00 }], { createdAt: day(4) }),
      ]);
  });

  it('it_refuses_a_lot_that_expires_before_it_activates', () => {
    spec
      .given([opened])
      .when({
        type: 'AddPoints',
        data: { transferId: 'lot-1', points: 1_00, state: 'pending', activatesAt: day(10), expiresAt: day(9), now: day(0) },
      })
      .thenThrows('invalid_lot_dates');
  });

  it('the first add opens the account when the store allows it', () => {
    spec
      .given([])
      .when({ type: 'AddPoints', data: { transferId: 'lot-1', points: 1_00, state: 'active', now: day(0), openAccount: account } })
      .then([opened, added('lot-1', 1_00)]);
  });

  it('an add to an account that does not exist is refused otherwise', () => {
    spec
      .given([])
      .when({ type: 'AddPoints', data: { transferId: 'lot-1', points: 1_00, state: 'active', now: day(0) } })
      .thenThrows('account_not_found', (error) => expect(error.httpStatus).toBe(404));
  });
});

describe('points account: blocks', () => {
  it('block then expire: the block stays and available never goes below zero', () => {
    spec
      .given([opened, added('lot-1', 100_00, { expiresAt: day(5) }), blocked('block-1', 60_00)])
      .when({ type: 'ExpireLot', data: { transferId: 'lot-1', now: day(5) } })
      .thenState((after, events) => {
        expect(events).toEqual([expired('lot-1', 100_00, day(5))]);
        expect(after.balance).toMatchObject({ available: 0, active: 0, blocked: 60_00, expired: 100_00 });
      });
  });

  it('cancelling a block releases it', () => {
    spec
      .given([opened, added('lot-1', 100_00), blocked('block-1', 60_00)])
      .when({ type: 'CancelTransfer', data: { transferId: 'block-1', now: day(2) } })
      .thenState((after, events) => {
        expect(events).toEqual([
          { type: 'PointsCancelled', data: { transferId: 'block-1', points: 60_00, cancelledType: 'blocked', cancelledAt: day(2) } },
        ]);
        expect(after.balance).toMatchObject({ available: 100_00, blocked: 0 });
      });
  });
});

describe('points account: cancel', () => {
  it('it_cancels_a_partially_spent_lot: the remainder is removed, the spent part stays spent', () => {
    spec
      .given([opened, added('lot-1', 100_00), spent('spend-1', 30_00, [{ lotId: 'lot-1', points: 30_00 }])])
      .when({ type: 'CancelTransfer', data: { transferId: 'lot-1', now: day(2) } })
      .thenState((after, events) => {
        expect(events).toEqual([
          { type: 'PointsCancelled', data: { transferId: 'lot-1', points: 70_00, cancelledType: 'adding', cancelledAt: day(2) } },
        ]);
        expect(after.balance).toMatchObject({ available: 0, spent: 30_00, earned: 30_00, cancelled: 70_00 });
      });
  });

  it('it_restores_a_cancelled_spending_as_expired_to_a_lot_that_expired_since', () => {
    spec
      .given([
        opened,
        added('soon', 50_00, { expiresAt: day(5) }),
        added('never', 50_00),
        spent('spend-1', 80_00, [
          { lotId: 'soon', points: 50_00 },
          { lotId: 'never', points: 30_00 },
        ]),
        expired('soon', 0, day(5)),
      ])
      .when({ type: 'CancelTransfer', data: { transferId: 'spend-1', now: day(6) } })
      .thenState((after, events) => {
        expect(events).toEqual([
          {
            type: 'PointsCancelled',
            data: {
              transferId: 'spend-1',
              points: 80_00,
              cancelledType: 'spending',
              restored: [
                { lotId: 'soon', points: 50_00, expired: true },
                { lotId: 'never', points: 30_00, expired: false },
              ],
              cancelledAt: day(6),
            },
          },
        ]);
        expect(after.balance).toMatchObject({ available: 50_00, spent: 0, expired: 50_00 });
      });
  });

  it('cancelling a spending from a lot cancelled since brings the points back already removed', () => {
    spec
      .given([
        opened,
        added('lot-1', 100_00),
        spent('spend-1', 30_00, [{ lotId: 'lot-1', points: 30_00 }]),
        { type: 'PointsCancelled', data: { transferId: 'lot-1', points: 70_00, cancelledType: 'adding', cancelledAt: day(2) } },
      ])
      .when({ type: 'CancelTransfer', data: { transferId: 'spend-1', now: day(3) } })
      .thenState((after, events) => {
        expect(events).toEqual([
          {
            type: 'PointsCancelled',
            data: {
              transferId: 'spend-1',
              points: 30_00,
              cancelledType: 'spending',
              restored: [{ lotId: 'lot-1', points: 30_00, expired: false, cancelled: true }],
              cancelledAt: day(3),
            },
          },
        ]);
        expect(after.balance).toMatchObject({ available: 0, spent: 0, earned: 0, cancelled: 100_00 });
      });
  });

  it('it_refuses_to_cancel_an_expired_lot', () => {
    spec
      .given([opened, added('lot-1', 10_00, { expiresAt: day(5) }), expired('lot-1', 10_00, day(5))])
      .when({ type: 'CancelTransfer', data: { transferId: 'lot-1', now: day(6) } })
      .thenThrows('transfer_expired');
  });

  it('it_refuses_to_cancel_a_transfer_twice', () => {
    spec
      .given([
        opened,
        added('lot-1', 10_00),
        { type: 'PointsCancelled', data: { transferId: 'lot-1', points: 10_00, cancelledType: 'adding', cancelledAt: day(1) } },
      ])
      .when({ type: 'CancelTransfer', data: { transferId: 'lot-1', now: day(2) } })
      .thenThrows('transfer_already_cancelled', (error) => expect(error.httpStatus).toBe(409));
  });

  it('it_refuses_to_cancel_an_unknown_transfer', () => {
    spec
      .given([opened])
      .when({ type: 'CancelTransfer', data: { transferId: 'nope', now: day(1) } })
      .thenThrows('transfer_not_found', (error) => expect(error.httpStatus).toBe(404));
  });
});

describe('points account: p2p', () => {
  const senderLots: PointsAccountEvent[] = [
    opened,
    added('soon', 30_00, { expiresAt: day(10) }),
    added('never', 50_00),
    added('soon-too', 10_00, { expiresAt: day(10), createdAt: day(1) }),
  ];

  it('the sender spends soonest-expiring first and records each lot expiry', () => {
    spec
      .given(senderLots)
      .when({
        type: 'SendP2P',
        data: { transferId: 'p2p-out', p2pId: 'p2p-1', points: 60_00, senderCustomerId: 'alice', receiverCustomerId: 'bob', now: day(2) },
      })
      .then([
        spent(
          'p2p-out',
          60_00,
          [
            { lotId: 'soon', points: 30_00, expiresAt: day(10) },
            { lotId: 'soon-too', points: 10_00, expiresAt: day(10) },
            { lotId: 'never', points: 20_00 },
          ],
          { type: 'p2p_spending', createdAt: day(2), p2pId: 'p2p-1', receiverCustomerId: 'bob' },
        ),
      ]);
  });

  const receive: PointsAccountCommand = {
    type: 'ReceiveP2P',
    data: {
      transferId: 'p2p-in',
      p2pId: 'p2p-1',
      senderCustomerId: 'alice',
      receiverCustomerId: 'bob',
      allocations: [
        { lotId: 'soon', points: 30_00, expiresAt: day(10) },
        { lotId: 'soon-too', points: 10_00, expiresAt: day(10) },
        { lotId: 'never', points: 20_00 },
      ],
      now: day(2),
    },
  };
  const bobOpened: PointsAccountEvent = { type: 'AccountOpened', data: { ...opened.data, accountId: 'acc-2', customerId: 'bob' } };
  const bobLots: PointsAccountEvent[] = [
    {
      type: 'PointsAdded',
      data: { transferId: 'p2p-in', type: 'p2p_adding', points: 40_00, state: 'active', createdAt: day(2), p2pId: 'p2p-1', senderCustomerId: 'alice', expiresAt: day(10) },
    },
    {
      type: 'PointsAdded',
      data: { transferId: 'p2p-in-2', type: 'p2p_adding', points: 20_00, state: 'active', createdAt: day(2), p2pId: 'p2p-1', senderCustomerId: 'alice' },
    },
  ];

  it('the receiver keeps the sender expiries: one lot per distinct expiry', () => {
    spec.given([bobOpened]).when(receive).then(bobLots);
  });

  it('receiving the same p2pId twice credits once (crash recovery is exactly-once)', () => {
    spec.given([bobOpened, ...bobLots]).when(receive).then([]);
  });

  it('it_refuses_a_transfer_to_oneself', () => {
    spec
      .given(senderLots)
      .when({
        type: 'SendP2P',
        data: { transferId: 'p2p-out', p2pId: 'p2p-1', points: 1_00, senderCustomerId: 'alice', receiverCustomerId: 'alice', now: day(2) },
      })
      .thenThrows('p2p_to_self');
  });

  it('p2p transfers cannot be cancelled one side at a time', () => {
    spec.given([bobOpened, ...bobLots]).when({ type: 'CancelTransfer', data: { transferId: 'p2p-in', now: day(3) } }).thenThrows('p2p_not_cancellable');
    spec
      .given([...senderLots, spent('p2p-out', 10_00, [{ lotId: 'soon', points: 10_00, expiresAt: day(10) }], { type: 'p2p_spending', p2pId: 'p2p-1', receiverCustomerId: 'bob' })])
      .when({ type: 'CancelTransfer', data: { transferId: 'p2p-out', now: day(3) } })
      .thenThrows('p2p_not_cancellable');
  });
});

describe('points account: reset and close', () => {
  it('reset expires every active and pending lot', () => {
    spec
      .given([
        opened,
        added('active', 10_00),
        added('pending', 5_00, { state: 'pending' }),
        added('gone', 3_00, { expiresAt: day(2) }),
        expired('gone', 3_00, day(2)),
        spent('spend-1', 4_00, [{ lotId: 'active', points: 4_00 }]),
      ])
      .when({ type: 'ResetPoints', data: { now: day(3) } })
      .thenState((after, events) => {
        expect(events).toEqual([expired('active', 6_00, day(3)), expired('pending', 5_00, day(3))]);
        expect(after.balance).toMatchObject({ available: 0, pending: 0, spent: 4_00, expired: 14_00 });
      });
  });

  it('it_resets_and_adds_in_one_decision: every lot expires and the account holds exactly the new points', () => {
    spec
      .given([opened, added('active', 10_00), added('pending', 5_00, { state: 'pending' }), spent('spend-1', 4_00, [{ lotId: 'active', points: 4_00 }])])
      .when({ type: 'ResetAndAddPoints', data: { transferId: 'fresh', points: 900_00, now: day(3), reason: 'season start' } })
      .thenState((after, events) => {
        expect(events).toEqual([expired('active', 6_00, day(3)), expired('pending', 5_00, day(3)), added('fresh', 900_00, { createdAt: day(3), reason: 'season start' })]);
        expect(after.balance).toMatchObject({ available: 900_00, pending: 0, spent: 4_00, expired: 11_00 });
      });
  });

  it('it_resets_and_adds_to_a_new_account_when_the_store_opens_accounts_on_first_add', () => {
    spec
      .given([])
      .when({ type: 'ResetAndAddPoints', data: { transferId: 'fresh', points: 1_00, now: day(0), openAccount: account } })
      .then([opened, added('fresh', 1_00)]);
  });

  it('it_refuses_reset_and_add_with_invalid_points_and_stores_no_reset', () => {
    // the reset alone never happens: a refusal of the add refuses the whole decision
    spec
      .given([opened, added('active', 10_00)])
      .when({ type: 'ResetAndAddPoints', data: { transferId: 'fresh', points: 0, now: day(3) } })
      .thenThrows('invalid_points');
    spec.given([]).when({ type: 'ResetAndAddPoints', data: { transferId: 'fresh', points: 1_00, now: day(0) } }).thenThrows('account_not_found');
  });

  it('a closed account refuses everything but being opened again', () => {
    const history: PointsAccountEvent[] = [opened, added('lot-1', 10_00), { type: 'AccountClosed', data: { closedAt: day(1) } }];
    const now = day(2);
    const commands: PointsAccountCommand[] = [
      { type: 'CloseAccount', data: { now } },
      { type: 'AddPoints', data: { transferId: 'lot-2', points: 1_00, state: 'active', now, openAccount: account } },
      { type: 'SpendPoints', data: { transferId: 's', points: 1_00, now } },
      { type: 'BlockPoints', data: { transferId: 'b', points: 1_00, now } },
      { type: 'CancelTransfer', data: { transferId: 'lot-1', now } },
      { type: 'ActivateLot', data: { transferId: 'lot-1', now } },
      { type: 'ExpireLot', data: { transferId: 'lot-1', now } },
      { type: 'ExpireDueLots', data: { now } },
      { type: 'ActivateDueLots', data: { now } },
      { type: 'ResetPoints', data: { now } },
      { type: 'ResetAndAddPoints', data: { transferId: 'lot-3', points: 1_00, now, openAccount: account } },
      { type: 'SendP2P', data: { transferId: 'p', p2pId: 'x', points: 1_00, senderCustomerId: 'alice', receiverCustomerId: 'bob', now } },
      { type: 'ReceiveP2P', data: { transferId: 'r', p2pId: 'y', senderCustomerId: 'bob', receiverCustomerId: 'alice', allocations: [{ lotId: 'l', points: 1_00 }], now } },
    ];
    for (const command of commands) spec.given(history).when(command).thenThrows('account_closed');
  });

  it('it_reopens_a_closed_account_at_zero', () => {
    const closed: PointsAccountEvent = { type: 'AccountClosed', data: { closedAt: day(1) } };
    const reopening = { ...account, accountId: 'acc-2' };
    spec
      .given([opened, added('lot-1', 10_00), spent('spend-1', 4_00, [{ lotId: 'lot-1', points: 4_00 }]), closed])
      .when({ type: 'OpenAccount', data: { ...reopening, now: day(2) } })
      .thenState((after, events) => {
        expect(events).toEqual([{ type: 'AccountOpened', data: { ...reopening, openedAt: day(2) } }]);
        expect(after.status).toBe('open');
        expect(after.balance).toEqual(initialState().balance);
        expect([after.lots, after.spendings, after.blocks]).toEqual([[], [], []]);
      });
  });

  it('it_forgets_the_closed_lots_of_a_reopened_account', () => {
    spec
      .given([opened, added('lot-1', 10_00), { type: 'AccountClosed', data: { closedAt: day(1) } }, { type: 'AccountOpened', data: { ...account, openedAt: day(2) } }])
      .when({ type: 'CancelTransfer', data: { transferId: 'lot-1', now: day(3) } })
      .thenThrows('transfer_not_found');
  });

  it('it_changes_nothing_when_an_open_account_is_opened_again', () => {
    spec
      .given([opened, added('lot-1', 10_00)])
      .when({ type: 'OpenAccount', data: { ...account, accountId: 'acc-2', now: day(2) } })
      .then([]);
  });

  it('it_never_reopens_a_closed_account_on_a_credit', () => {
    spec
      .given([opened, { type: 'AccountClosed', data: { closedAt: day(1) } }])
      .when({ type: 'AddPoints', data: { transferId: 'lot-2', points: 1_00, state: 'active', now: day(2), openAccount: account } })
      .thenThrows('account_closed');
  });

  it('LedgerError carries code, message and an http status hint', () => {
    const error = new LedgerError('insufficient_points', 'not enough');
    expect(error).toBeInstanceOf(Error);
    expect([error.code, error.message, error.httpStatus]).toEqual(['insufficient_points', 'not enough', 422]);
  });
});

describe('points account: business time', () => {
  it('it_keeps_a_past_business_time_as_reported_and_spends_in_recorded_order', () => {
    // reported as a day older than the first lot, the second lot is still drawn from second
    spec
      .given([opened, added('first', 10_00, { createdAt: day(5) })])
      .when({ type: 'AddPoints', data: { transferId: 'second', points: 10_00, state: 'active', now: day(6), occurredAt: day(4) } })
      .thenState((after, events) => {
        expect(events).toEqual([added('second', 10_00, { createdAt: day(6), occurredAt: day(4) })]);
        const spending = pointsAccountDecider.decide({ type: 'SpendPoints', data: { transferId: 's', points: 5_00, now: day(7), occurredAt: day(3) } }, after);
        expect(spending).toEqual([spent('s', 5_00, [{ lotId: 'first', points: 5_00 }], { createdAt: day(7), occurredAt: day(3) })]);
      });
  });

  it('it_expires_from_the_recorded_time_not_the_business_time', () => {
    // expiry one day after recording is valid even though the business time is a week earlier
    spec
      .given([opened])
      .when({ type: 'AddPoints', data: { transferId: 'lot', points: 1_00, state: 'active', now: day(10), occurredAt: day(3), expiresAt: day(11) } })
      .then([added('lot', 1_00, { createdAt: day(10), occurredAt: day(3), expiresAt: day(11) })]);
  });

  it('it_refuses_a_business_time_in_the_future', () => {
    spec
      .given([opened, added('lot', 10_00)])
      .when({ type: 'SpendPoints', data: { transferId: 's', points: 1_00, now: day(1), occurredAt: day(2) } })
      .thenThrows('invalid_lot_dates');
    spec
      .given([opened])
      .when({ type: 'AddPoints', data: { transferId: 'lot', points: 1_00, state: 'active', now: day(1), occurredAt: day(2) } })
      .thenThrows('invalid_lot_dates');
  });
});
