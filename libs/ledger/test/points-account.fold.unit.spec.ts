import type { PointsAccountEvent } from '../src/events';
import { fold, initialState, type Balance } from '../src/points-account';
import { added, blocked, day, expired, opened, spent } from './fixtures';

/** The folded state, figure by figure: what the read side and the next decision see. */
const balance = (events: PointsAccountEvent[]): Balance => fold(events).balance;
const zero = initialState().balance;

describe('points account: the fold', () => {
  it('a_new_account_holds_nothing', () => {
    expect(zero).toEqual({ available: 0, active: 0, pending: 0, blocked: 0, earned: 0, spent: 0, expired: 0, cancelled: 0, p2pReceived: 0, p2pSent: 0 });
    expect(fold([opened])).toStrictEqual({ status: 'open', account: { ...opened.data }, lots: [], spendings: [], blocks: [], balance: zero });
  });

  it('a_pending_lot_is_neither_available_nor_earned_until_it_activates', () => {
    const pending = added('p', 10_00, { state: 'pending', activatesAt: day(3) });
    expect(balance([opened, pending])).toEqual({ ...zero, pending: 10_00 });
    expect(balance([opened, pending, { type: 'PointsActivated', data: { transferId: 'p', points: 10_00, activatedAt: day(3) } }])).toEqual({
      ...zero,
      available: 10_00,
      active: 10_00,
      earned: 10_00,
    });
  });

  it('a_pending_lot_expired_by_a_reset_counts_as_expired_never_as_earned', () => {
    expect(balance([opened, added('p', 10_00, { state: 'pending' }), expired('p', 10_00, day(1))])).toEqual({ ...zero, expired: 10_00 });
  });

  it('every_figure_of_an_account_with_each_kind_of_transfer', () => {
    const events: PointsAccountEvent[] = [
      opened,
      added('lot', 100_00),
      added('pending', 7_00, { state: 'pending' }),
      added('in', 20_00, { type: 'p2p_adding', p2pId: 'x', senderCustomerId: 'bob' }),
      added('gone', 5_00, { expiresAt: day(2) }),
      expired('gone', 5_00, day(2)),
      added('cancelled', 3_00),
      { type: 'PointsCancelled', data: { transferId: 'cancelled', points: 3_00, cancelledType: 'adding', cancelledAt: day(2) } },
      spent('spend', 10_00, [{ lotId: 'lot', points: 10_00 }]),
      spent('out', 4_00, [{ lotId: 'lot', points: 4_00 }], { type: 'p2p_spending', p2pId: 'y', receiverCustomerId: 'carl' }),
      spent('undone', 1_00, [{ lotId: 'lot', points: 1_00 }]),
      { type: 'PointsCancelled', data: { transferId: 'undone', points: 1_00, cancelledType: 'spending', restored: [{ lotId: 'lot', points: 1_00, expired: false }], cancelledAt: day(2) } },
      blocked('block', 6_00),
      blocked('released', 2_00),
      { type: 'PointsCancelled', data: { transferId: 'released', points: 2_00, cancelledType: 'blocked', cancelledAt: day(2) } },
    ];
    expect(balance(events)).toEqual({
      available: 100_00,
      active: 106_00,
      pending: 7_00,
      blocked: 6_00,
      earned: 105_00,
      spent: 10_00,
      expired: 5_00,
      cancelled: 3_00,
      p2pReceived: 20_00,
      p2pSent: 4_00,
    });
  });

  it('it_keeps_each_transfer_as_recorded', () => {
    const state = fold([
      opened,
      added('pending', 7_00, { state: 'pending', activatesAt: day(3), expiresAt: day(9) }),
      added('in', 20_00, { type: 'p2p_adding', p2pId: 'x', senderCustomerId: 'bob', createdAt: day(1) }),
      spent('out', 4_00, [{ lotId: 'in', points: 4_00 }], { type: 'p2p_spending', p2pId: 'y', receiverCustomerId: 'carl' }),
      spent('spend', 1_00, [{ lotId: 'in', points: 1_00 }], { createdAt: day(2) }),
      blocked('block', 6_00, day(2)),
    ]);
    expect(state.lots).toStrictEqual([
      { id: 'pending', type: 'adding', points: 7_00, remaining: 7_00, state: 'pending', createdAt: day(0), activatesAt: day(3), expiresAt: day(9), activated: false, expired: 0, cancelled: 0 },
      { id: 'in', type: 'p2p_adding', points: 20_00, remaining: 15_00, state: 'active', createdAt: day(1), activated: true, expired: 0, cancelled: 0, p2pId: 'x', senderCustomerId: 'bob' },
    ]);
    expect(state.spendings).toStrictEqual([
      { id: 'out', type: 'p2p_spending', points: 4_00, allocations: [{ lotId: 'in', points: 4_00 }], state: 'active', createdAt: day(1), p2pId: 'y', receiverCustomerId: 'carl' },
      { id: 'spend', type: 'spending', points: 1_00, allocations: [{ lotId: 'in', points: 1_00 }], state: 'active', createdAt: day(2) },
    ]);
    expect(state.blocks).toStrictEqual([{ id: 'block', points: 6_00, state: 'active', createdAt: day(2) }]);
  });

  it('a_cancelled_spending_and_block_are_kept_as_cancelled_the_others_untouched', () => {
    const state = fold([
      opened,
      added('lot', 10_00),
      spent('a', 1_00, [{ lotId: 'lot', points: 1_00 }]),
      spent('b', 1_00, [{ lotId: 'lot', points: 1_00 }]),
      blocked('c', 1_00),
      blocked('d', 1_00),
      { type: 'PointsCancelled', data: { transferId: 'a', points: 1_00, cancelledType: 'spending', restored: [{ lotId: 'lot', points: 1_00, expired: false }], cancelledAt: day(2) } },
      { type: 'PointsCancelled', data: { transferId: 'c', points: 1_00, cancelledType: 'blocked', cancelledAt: day(2) } },
    ]);
    expect(state.spendings.map((spending) => [spending.id, spending.state])).toEqual([['a', 'cancelled'], ['b', 'active']]);
    expect(state.blocks.map((block) => [block.id, block.state])).toEqual([['c', 'cancelled'], ['d', 'active']]);
    expect(state.lots[0]).toMatchObject({ remaining: 9_00, expired: 0, cancelled: 0 });
  });

  it('a_closed_account_keeps_its_ledger_and_the_time_it_closed', () => {
    const state = fold([opened, added('lot', 10_00), { type: 'AccountClosed', data: { closedAt: day(1) } }]);
    expect(state).toMatchObject({ status: 'closed', closedAt: day(1), balance: { ...zero, available: 10_00, active: 10_00, earned: 10_00 } });
  });

  it('a_fold_continues_from_a_given_state', () => {
    expect(fold([added('lot', 1_00)], fold([opened])).balance.available).toBe(1_00);
  });

  it('an_expired_or_cancelled_lot_holds_nothing_more_and_keeps_what_it_lost', () => {
    const state = fold([
      opened,
      added('gone', 10_00, { expiresAt: day(2) }),
      spent('s', 4_00, [{ lotId: 'gone', points: 4_00 }]),
      expired('gone', 6_00, day(2)),
      added('undone', 5_00),
      { type: 'PointsCancelled', data: { transferId: 'undone', points: 5_00, cancelledType: 'adding', cancelledAt: day(2) } },
    ]);
    expect(state.lots.map(({ id, state: lotState, remaining, expired: lost, cancelled }) => ({ id, lotState, remaining, lost, cancelled }))).toEqual([
      { id: 'gone', lotState: 'expired', remaining: 0, lost: 6_00, cancelled: 0 },
      { id: 'undone', lotState: 'cancelled', remaining: 0, lost: 0, cancelled: 5_00 },
    ]);
  });
});
