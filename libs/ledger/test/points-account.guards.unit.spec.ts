import { isLedgerError, LedgerError } from '../src/errors';
import type { PointsAccountEvent } from '../src/events';
import { MAX_POINTS_HUNDREDTHS } from '../src/points';
import { pointsAccountDecider, type PointsAccountCommand } from '../src/points-account';
import { DeciderSpecification } from './decider-specification';
import { account, added, blocked, day, opened, spent } from './fixtures';

/** Refusals at the edges of the rules: each names what it refuses and changes nothing. */
const spec = DeciderSpecification.for(pointsAccountDecider);
const ms = (iso: string, delta: number): string => new Date(Date.parse(iso) + delta).toISOString();

describe('points account: times the ledger refuses', () => {
  const history: PointsAccountEvent[] = [opened, added('lot-1', 10_00), added('pending-1', 5_00, { state: 'pending' })];
  const now = 'not a date';
  const commands: PointsAccountCommand[] = [
    { type: 'CloseAccount', data: { now } },
    { type: 'AddPoints', data: { transferId: 'lot-2', points: 1_00, state: 'active', now } },
    { type: 'SpendPoints', data: { transferId: 's', points: 1_00, now } },
    { type: 'BlockPoints', data: { transferId: 'b', points: 1_00, now } },
    { type: 'CancelTransfer', data: { transferId: 'lot-1', now } },
    { type: 'ActivateLot', data: { transferId: 'pending-1', now } },
    { type: 'ExpireLot', data: { transferId: 'lot-1', now } },
    { type: 'ExpireDueLots', data: { now } },
    { type: 'ActivateDueLots', data: { now } },
    { type: 'ResetPoints', data: { now } },
    { type: 'SendP2P', data: { transferId: 'p', p2pId: 'x', points: 1_00, senderCustomerId: 'alice', receiverCustomerId: 'bob', now } },
    { type: 'ReceiveP2P', data: { transferId: 'r', p2pId: 'y', senderCustomerId: 'bob', receiverCustomerId: 'alice', allocations: [{ lotId: 'l', points: 1_00 }], now } },
  ];

  it.each(commands.map((command) => [command.type, command] as const))('it_refuses_%s_at_a_time_that_is_no_date', (_, command) => {
    spec
      .given(history)
      .when(command)
      .thenThrows('invalid_lot_dates', (error) => expect(error.message).toBe('now is not a valid date: not a date'));
  });

  it('it_refuses_to_open_an_account_at_a_time_that_is_no_date', () => {
    spec.given([]).when({ type: 'OpenAccount', data: { ...account, now } }).thenThrows('invalid_lot_dates');
  });

  it('it_names_the_lot_date_that_is_no_date', () => {
    const add = (extra: object) => ({ type: 'AddPoints', data: { transferId: 'lot-2', points: 1_00, state: 'pending', now: day(1), ...extra } }) as PointsAccountCommand;
    spec.given([opened]).when(add({ activatesAt: 'soon' })).thenThrows('invalid_lot_dates', (error) => expect(error.message).toBe('activatesAt is not a valid date: soon'));
    spec.given([opened]).when(add({ expiresAt: 'later' })).thenThrows('invalid_lot_dates', (error) => expect(error.message).toBe('expiresAt is not a valid date: later'));
    spec.given([opened]).when(add({ occurredAt: 'once' })).thenThrows('invalid_lot_dates', (error) => expect(error.message).toBe('occurredAt is not a valid date: once'));
    spec
      .given([opened])
      .when({ type: 'ReceiveP2P', data: { transferId: 'r', p2pId: 'y', senderCustomerId: 'bob', receiverCustomerId: 'alice', allocations: [{ lotId: 'l', points: 1_00, expiresAt: 'never' }], now: day(1) } })
      .thenThrows('invalid_lot_dates', (error) => expect(error.message).toBe('expiresAt is not a valid date: never'));
  });

  it('it_refuses_an_activation_date_on_a_lot_that_is_active_at_once', () => {
    spec
      .given([opened])
      .when({ type: 'AddPoints', data: { transferId: 'lot-2', points: 1_00, state: 'active', activatesAt: day(2), now: day(1) } })
      .thenThrows('invalid_lot_dates', (error) => expect(error.message).toBe('activatesAt is only for pending lots'));
  });

  it('it_refuses_an_active_lot_that_expires_the_moment_it_is_added_and_takes_one_a_millisecond_later', () => {
    const add = (expiresAt: string): PointsAccountCommand => ({ type: 'AddPoints', data: { transferId: 'lot-2', points: 1_00, state: 'active', expiresAt, now: day(1) } });
    spec
      .given([opened])
      .when(add(day(1)))
      .thenThrows('invalid_lot_dates', (error) => {
        expect(error.message).toBe('expiresAt must be after the moment the points become active');
        expect(error.details).toEqual({ expiresAt: day(1), activatesAt: day(1) });
      });
    spec.given([opened]).when(add(ms(day(1), 1))).then([added('lot-2', 1_00, { createdAt: day(1), expiresAt: ms(day(1), 1) })]);
  });

  it('it_refuses_a_pending_lot_that_expires_the_moment_it_activates_and_takes_one_a_millisecond_later', () => {
    const add = (expiresAt: string): PointsAccountCommand => ({
      type: 'AddPoints',
      data: { transferId: 'lot-2', points: 1_00, state: 'pending', activatesAt: day(5), expiresAt, now: day(1) },
    });
    spec
      .given([opened])
      .when(add(day(5)))
      .thenThrows('invalid_lot_dates', (error) => expect(error.details).toEqual({ expiresAt: day(5), activatesAt: day(5) }));
    spec
      .given([opened])
      .when(add(ms(day(5), 1)))
      .then([added('lot-2', 1_00, { state: 'pending', createdAt: day(1), activatesAt: day(5), expiresAt: ms(day(5), 1) })]);
  });

  it('it_takes_a_business_time_equal_to_the_recording_time', () => {
    spec
      .given([opened])
      .when({ type: 'AddPoints', data: { transferId: 'lot-2', points: 1_00, state: 'active', now: day(1), occurredAt: day(1) } })
      .then([added('lot-2', 1_00, { createdAt: day(1), occurredAt: day(1) })]);
    spec
      .given([opened])
      .when({ type: 'AddPoints', data: { transferId: 'lot-2', points: 1_00, state: 'active', now: day(1), occurredAt: ms(day(1), 1) } })
      .thenThrows('invalid_lot_dates', (error) => {
        expect(error.message).toBe('occurredAt must not be in the future');
        expect(error.details).toEqual({ occurredAt: ms(day(1), 1) });
      });
  });
});

describe('points account: amounts the ledger refuses', () => {
  const add = (points: number): PointsAccountCommand => ({ type: 'AddPoints', data: { transferId: 'lot-2', points, state: 'active', now: day(1) } });

  it.each([
    ['zero', 0],
    ['a_negative_amount', -1_00],
    ['a_fraction_of_a_hundredth', 1.5],
    ['one_hundredth_above_the_maximum', MAX_POINTS_HUNDREDTHS + 1],
    ['an_amount_past_exact_integers', Number.MAX_SAFE_INTEGER + 1],
  ])('it_refuses_%s', (_, points) => {
    spec
      .given([opened])
      .when(add(points))
      .thenThrows('invalid_points', (error) => expect(error.message).toBe('points must be a whole number of hundredths between 0.01 and 999999999'));
  });

  it('it_takes_one_hundredth_and_the_maximum', () => {
    spec.given([opened]).when(add(1)).then([added('lot-2', 1, { createdAt: day(1) })]);
    spec.given([opened]).when(add(MAX_POINTS_HUNDREDTHS)).then([added('lot-2', MAX_POINTS_HUNDREDTHS, { createdAt: day(1) })]);
  });

  it('it_names_available_and_requested_points_in_the_refusal', () => {
    spec
      .given([opened, added('lot-1', 10_00)])
      .when({ type: 'SpendPoints', data: { transferId: 's', points: 10_01, now: day(1) } })
      .thenThrows('insufficient_points', (error) => expect(error.message).toBe('not enough points: 10.00 available, 10.01 requested'));
  });

  it('it_refuses_a_p2p_receipt_without_allocations_or_with_an_invalid_one', () => {
    const receive = (allocations: { lotId: string; points: number }[]): PointsAccountCommand => ({
      type: 'ReceiveP2P',
      data: { transferId: 'r', p2pId: 'y', senderCustomerId: 'bob', receiverCustomerId: 'alice', allocations, now: day(1) },
    });
    spec
      .given([opened])
      .when(receive([]))
      .thenThrows('invalid_points', (error) => expect(error.message).toBe('a p2p transfer needs at least one allocation'));
    spec.given([opened]).when(receive([{ lotId: 'l', points: 0 }])).thenThrows('invalid_points');
    // each allocation is in range, their sum is not
    spec
      .given([opened])
      .when(receive([{ lotId: 'l1', points: MAX_POINTS_HUNDREDTHS }, { lotId: 'l2', points: 1 }]))
      .thenThrows('invalid_points');
  });
});

describe('points account: transfer ids are unique in the account', () => {
  const history: PointsAccountEvent[] = [
    opened,
    added('lot-1', 10_00),
    spent('spend-1', 1_00, [{ lotId: 'lot-1', points: 1_00 }]),
    blocked('block-1', 1_00),
  ];

  it.each(['lot-1', 'spend-1', 'block-1'])('it_refuses_a_new_transfer_with_the_id_of_%s', (transferId) => {
    const commands: PointsAccountCommand[] = [
      { type: 'AddPoints', data: { transferId, points: 1_00, state: 'active', now: day(2) } },
      { type: 'SpendPoints', data: { transferId, points: 1_00, now: day(2) } },
      { type: 'BlockPoints', data: { transferId, points: 1_00, now: day(2) } },
      { type: 'SendP2P', data: { transferId, p2pId: 'x', points: 1_00, senderCustomerId: 'alice', receiverCustomerId: 'bob', now: day(2) } },
      { type: 'ReceiveP2P', data: { transferId, p2pId: 'y', senderCustomerId: 'bob', receiverCustomerId: 'alice', allocations: [{ lotId: 'l', points: 1_00 }], now: day(2) } },
    ];
    for (const command of commands) {
      spec
        .given(history)
        .when(command)
        .thenThrows('transfer_already_exists', (error) => expect(error.message).toBe(`transfer ${transferId} already exists`));
    }
  });

  it('it_refuses_a_second_p2p_lot_whose_derived_id_is_taken', () => {
    spec
      .given([opened, added('r-2', 1_00)])
      .when({
        type: 'ReceiveP2P',
        data: {
          transferId: 'r',
          p2pId: 'y',
          senderCustomerId: 'bob',
          receiverCustomerId: 'alice',
          allocations: [{ lotId: 'l1', points: 1_00, expiresAt: day(9) }, { lotId: 'l2', points: 1_00 }],
          now: day(1),
        },
      })
      .thenThrows('transfer_already_exists');
  });
});

describe('points account: cancelling what cannot be cancelled', () => {
  it('it_refuses_to_cancel_a_spending_or_a_block_twice', () => {
    spec
      .given([
        opened,
        added('lot-1', 10_00),
        spent('spend-1', 1_00, [{ lotId: 'lot-1', points: 1_00 }]),
        { type: 'PointsCancelled', data: { transferId: 'spend-1', points: 1_00, cancelledType: 'spending', restored: [{ lotId: 'lot-1', points: 1_00, expired: false }], cancelledAt: day(2) } },
      ])
      .when({ type: 'CancelTransfer', data: { transferId: 'spend-1', now: day(3) } })
      .thenThrows('transfer_already_cancelled', (error) => expect(error.message).toBe('transfer spend-1 is already cancelled'));
    spec
      .given([opened, added('lot-1', 10_00), blocked('block-1', 1_00), { type: 'PointsCancelled', data: { transferId: 'block-1', points: 1_00, cancelledType: 'blocked', cancelledAt: day(2) } }])
      .when({ type: 'CancelTransfer', data: { transferId: 'block-1', now: day(3) } })
      .thenThrows('transfer_already_cancelled');
  });

  it('it_says_why_an_expired_or_unknown_or_p2p_transfer_cannot_be_cancelled', () => {
    spec
      .given([opened, added('lot-1', 10_00), { type: 'PointsExpired', data: { lotId: 'lot-1', points: 10_00, expiredAt: day(1) } }])
      .when({ type: 'CancelTransfer', data: { transferId: 'lot-1', now: day(2) } })
      .thenThrows('transfer_expired', (error) => expect(error.message).toBe('transfer lot-1 has expired and cannot be cancelled'));
    spec
      .given([opened])
      .when({ type: 'CancelTransfer', data: { transferId: 'nope', now: day(2) } })
      .thenThrows('transfer_not_found', (error) => expect(error.message).toBe('transfer nope not found'));
    spec
      .given([opened, added('p2p-in', 1_00, { type: 'p2p_adding', p2pId: 'x', senderCustomerId: 'bob' })])
      .when({ type: 'CancelTransfer', data: { transferId: 'p2p-in', now: day(2) } })
      .thenThrows('p2p_not_cancellable', (error) => expect(error.message).toBe('transfer p2p-in is peer-to-peer and cannot be cancelled one side at a time'));
  });

  it('it_says_which_state_keeps_a_lot_from_being_activated_or_expired_by_hand', () => {
    const history: PointsAccountEvent[] = [opened, added('lot-1', 10_00), spent('spend-1', 1_00, [{ lotId: 'lot-1', points: 1_00 }])];
    spec
      .given(history)
      .when({ type: 'ActivateLot', data: { transferId: 'lot-1', now: day(2) } })
      .thenThrows('transfer_not_pending', (error) => {
        expect(error.message).toBe('transfer lot-1 is not a pending lot');
        expect(error.details).toEqual({ state: 'active' });
      });
    spec
      .given(history)
      .when({ type: 'ActivateLot', data: { transferId: 'spend-1', now: day(2) } })
      .thenThrows('transfer_not_pending', (error) => expect(error.details).toEqual({ state: 'not_a_lot' }));
    spec
      .given([...history, added('pending-1', 1_00, { state: 'pending' })])
      .when({ type: 'ExpireLot', data: { transferId: 'pending-1', now: day(2) } })
      .thenThrows('transfer_not_active', (error) => {
        expect(error.message).toBe('transfer pending-1 is not an active lot');
        expect(error.details).toEqual({ state: 'pending' });
      });
    spec
      .given(history)
      .when({ type: 'ExpireLot', data: { transferId: 'spend-1', now: day(2) } })
      .thenThrows('transfer_not_active', (error) => expect(error.details).toEqual({ state: 'not_a_lot' }));
    spec.given(history).when({ type: 'ExpireLot', data: { transferId: 'nope', now: day(2) } }).thenThrows('transfer_not_found');
    spec.given(history).when({ type: 'ActivateLot', data: { transferId: 'nope', now: day(2), trigger: 'scheduled' } }).thenThrows('transfer_not_found');
  });

  it('it_names_the_account_state_that_refuses', () => {
    spec
      .given([])
      .when({ type: 'SpendPoints', data: { transferId: 's', points: 1_00, now: day(1) } })
      .thenThrows('account_not_found', (error) => expect(error.message).toBe('the points account does not exist'));
    spec
      .given([opened, { type: 'AccountClosed', data: { closedAt: day(1) } }])
      .when({ type: 'SpendPoints', data: { transferId: 's', points: 1_00, now: day(2) } })
      .thenThrows('account_closed', (error) => expect(error.message).toBe('the points account is closed'));
    spec
      .given([opened])
      .when({ type: 'SendP2P', data: { transferId: 'p', p2pId: 'x', points: 1_00, senderCustomerId: 'alice', receiverCustomerId: 'alice', now: day(1) } })
      .thenThrows('p2p_to_self', (error) => expect(error.message).toBe('points cannot be transferred to oneself'));
    spec
      .given([opened])
      .when({ type: 'ReceiveP2P', data: { transferId: 'r', p2pId: 'y', senderCustomerId: 'alice', receiverCustomerId: 'alice', allocations: [{ lotId: 'l', points: 1_00 }], now: day(1) } })
      .thenThrows('p2p_to_self');
  });

  it('it_closes_an_open_account_at_the_time_given', () => {
    spec.given([opened]).when({ type: 'CloseAccount', data: { now: day(3) } }).then([{ type: 'AccountClosed', data: { closedAt: day(3) } }]);
  });

  it('it_names_the_opening_time_that_is_no_date', () => {
    spec
      .given([])
      .when({ type: 'OpenAccount', data: { ...account, now: 'soon' } })
      .thenThrows('invalid_lot_dates', (error) => expect(error.message).toBe('now is not a valid date: soon'));
  });

  it('a_ledger_error_is_named_and_told_apart_by_code', () => {
    const error = new LedgerError('transfer_not_found', 'transfer x not found');
    expect(error.name).toBe('LedgerError');
    expect(isLedgerError(error)).toBe(true);
    expect(isLedgerError(error, 'transfer_not_found')).toBe(true);
    expect(isLedgerError(error, 'account_closed')).toBe(false);
    expect(isLedgerError(new Error('transfer x not found'))).toBe(false);
  });
});
