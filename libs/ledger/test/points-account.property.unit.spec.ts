import fc from 'fast-check';
import { LedgerError } from '../src/errors';
import type { PointsAccountEvent } from '../src/events';
import { decide, evolve, fold, initialState, type PointsAccountCommand, type PointsAccountState } from '../src/points-account';
import { account, T0 } from './fixtures';
import { ReferenceLedger, Refusal } from './reference-ledger';

/**
 * Thousands of random operation sequences, each run through the decider and through a naive
 * reference ledger; after every step the two must agree on the outcome and on every figure.
 */

const HOUR_MS = 60 * 60 * 1000;

/** An amount either as such, or as a share of what the reference says is available (100 = all of it). */
const amount = fc.record({
  points: fc.integer({ min: 1, max: 20_000 }),
  share: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
});

const operation = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      points: fc.integer({ min: 1, max: 10_000 }),
      pending: fc.boolean(),
      activatesInHours: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
      expiresInHours: fc.option(fc.integer({ min: 1, max: 1_500 }), { nil: undefined }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('spend' as const), amount }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('block' as const), amount }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('send' as const), amount, replay: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('receive' as const),
      replay: fc.boolean(),
      parts: fc.array(
        fc.record({
          points: fc.integer({ min: 1, max: 5_000 }),
          // a few sender expiries, some already past, so receiver lots share and miss expiries
          expiresInHours: fc.option(fc.constantFrom(-24, 48, 48, 400), { nil: undefined }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('activate' as const), pick: fc.nat(), scheduled: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const), pick: fc.nat(), scheduled: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 600 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'scheduler' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

/** Most sequences keep the account open throughout; about one in ten closes it somewhere. */
const closeAt = fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat({ max: 40 }) });

type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

/** Turns a random operation into the commands a caller would send, given what exists so far. */
function commandsFor(op: Operation, model: ReferenceLedger, clock: { now: number }, seq: () => string): PointsAccountCommand[] {
  const now = new Date(clock.now).toISOString();
  const inHours = (hours: number) => new Date(clock.now + hours * HOUR_MS).toISOString();
  const pointsOf = (a: { points: number; share?: number }) =>
    a.share === undefined ? a.points : Math.max(1, Math.floor((model.available * a.share) / 100));
  const pick = (n: number) => {
    const ids = model.transferIds();
    // About one pick in ten names a transfer that does not exist.
    return ids.length === 0 || n % 10 === 0 ? 'unknown-transfer' : ids[Math.floor(n / 10) % ids.length];
  };
  switch (op.kind) {
    case 'add':
      return [
        {
          type: 'AddPoints',
          data: {
            transferId: seq(),
            points: op.points,
            state: op.pending ? 'pending' : 'active',
            now,
            ...(op.pending && op.activatesInHours !== undefined && { activatesAt: inHours(op.activatesInHours) }),
            ...(op.expiresInHours !== undefined && { expiresAt: inHours(op.expiresInHours) }),
          },
        },
      ];
    case 'spend':
      return [{ type: 'SpendPoints', data: { transferId: seq(), points: pointsOf(op.amount), now } }];
    case 'block':
      return [{ type: 'BlockPoints', data: { transferId: seq(), points: pointsOf(op.amount), now } }];
    case 'send': {
      const earlier = model.sentP2PIds();
      const p2pId = op.replay && earlier.length ? earlier[earlier.length - 1] : `p2p-out-${seq()}`;
      return [
        {
          type: 'SendP2P',
          data: { transferId: seq(), p2pId, points: pointsOf(op.amount), senderCustomerId: 'alice', receiverCustomerId: 'bob', now },
        },
      ];
    }
    case 'receive': {
      const earlier = model.receivedP2PIds();
      const p2pId = op.replay && earlier.length ? earlier[0] : `p2p-in-${seq()}`;
      const allocations = op.parts.map((part, i) => ({
        lotId: `bob-lot-${i}`,
        points: part.points,
        ...(part.expiresInHours !== undefined && { expiresAt: new Date(T0 + part.expiresInHours * HOUR_MS).toISOString() }),
      }));
      return [
        {
          type: 'ReceiveP2P',
          data: { transferId: seq(), p2pId, senderCustomerId: 'bob', receiverCustomerId: 'alice', allocations, now },
        },
      ];
    }
    case 'cancel':
      return [{ type: 'CancelTransfer', data: { transferId: pick(op.pick), now } }];
    case 'activate':
      return [{ type: 'ActivateLot', data: { transferId: pick(op.pick), now, trigger: op.scheduled ? 'scheduled' : 'manual' } }];
    case 'expire':
      return [{ type: 'ExpireLot', data: { transferId: pick(op.pick), now, trigger: op.scheduled ? 'scheduled' : 'manual' } }];
    case 'advance':
      clock.now += op.hours * HOUR_MS;
      return [];
    case 'scheduler':
      return [
        { type: 'ActivateDueLots', data: { now } },
        { type: 'ExpireDueLots', data: { now } },
      ];
    case 'reset':
      return [{ type: 'ResetPoints', data: { now } }];
    case 'reopen':
      return [{ type: 'OpenAccount', data: { ...account, now } }];
  }
}

/** toEqual, with a cheap first look: jest's deep equality is what makes thousands of runs slow. */
function agree(actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected);
}

function snapshot(model: ReferenceLedger): string {
  return JSON.stringify(model);
}

function run(ops: Operation[], closeAt?: number): void {
  const clock = { now: T0 };
  let n = 0;
  const seq = () => `t${++n}`;
  let model = new ReferenceLedger();
  let state: PointsAccountState = initialState();
  const history: PointsAccountEvent[] = [];

  const step = (command: PointsAccountCommand) => {
    // The reference decides first, on a copy, so a refusal leaves it untouched.
    const next = model.clone();
    let refusal: Refusal | undefined;
    try {
      next.handle(command);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      refusal = error;
    }

    let events: PointsAccountEvent[] = [];
    let thrown: unknown;
    try {
      events = decide(command, state);
    } catch (error) {
      thrown = error;
    }

    if (refusal) {
      expect(thrown).toBeInstanceOf(LedgerError);
      expect({ command: command.type, code: (thrown as LedgerError).code }).toEqual({ command: command.type, code: refusal.code });
      return;
    }
    if (thrown) throw thrown;
    // Nothing changes exactly when nothing is decided.
    expect({ command, changed: events.length > 0 }).toEqual({ command, changed: snapshot(next) !== snapshot(model) });

    model = next;
    state = events.reduce(evolve, state);
    history.push(...events);

    agree(state.balance, model.figures());
    if (state.balance.available < 0) expect(state.balance.available).toBeGreaterThanOrEqual(0);
    agree(Object.fromEntries(state.lots.map((lot) => [lot.id, { state: lot.state, remaining: lot.remaining }])), model.lotStates());
    agree(state.status, model.status);
    // Replaying the stream from the start gives the live state: evolve depends on nothing else.
    agree(fold(history), state);
  };

  step({ type: 'OpenAccount', data: { ...account, now: new Date(clock.now).toISOString() } });
  ops.forEach((op, index) => {
    if (index === closeAt) step({ type: 'CloseAccount', data: { now: new Date(clock.now).toISOString() } });
    for (const command of commandsFor(op, model, clock, seq)) step(command);
  });
}

describe('points account: property', () => {
  it('agrees with a naive reference ledger on every random sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 40, size: 'max' }), closeAt, (ops, close) => run(ops, close)),
      { numRuns: 2_000 },
    );
  });

  it('the reference ledger is not vacuous: a hand-written sequence reaches every kind of figure', () => {
    const model = new ReferenceLedger();
    const now = new Date(T0).toISOString();
    model.handle({ type: 'OpenAccount', data: { ...account, now } });
    model.handle({ type: 'AddPoints', data: { transferId: 'a', points: 1_000, state: 'active', now } });
    model.handle({ type: 'SpendPoints', data: { transferId: 's', points: 400, now } });
    model.handle({ type: 'BlockPoints', data: { transferId: 'b', points: 100, now } });
    expect(model.figures()).toMatchObject({ available: 500, spent: 400, blocked: 100, earned: 1_000 });
    expect(() => model.handle({ type: 'SpendPoints', data: { transferId: 's2', points: 501, now } })).toThrow(Refusal);
  });
});
