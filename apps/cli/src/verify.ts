import type { Infrastructure } from '@app/engine';
import type { StoredEvent } from '@app/event-store';
import { AccountKey, evolve, formatPoints, initialState, Lot, parsePointsAccountStream, PointsAccountEvent, PointsAccountState } from '@app/ledger';
import type { AccountSummary, LotRecord, RebuildProgress } from '@app/read-models';

const READ_BATCH = 5_000;
const START = -1;

/** One figure where a view disagrees with the fold of the account's events. */
export interface Difference {
  account: string;
  /** `accounts.<field>` or `lots.<lotId>.<field>` */
  field: string;
  view: string;
  ledger: string;
}

export interface VerifyReport {
  /** the log was folded up to here: the lowest checkpoint of the views compared */
  position: number;
  events: number;
  accounts: number;
  lots: number;
  differences: Difference[];
}

/** The summary figures of the accounts view and the ledger's balance they mirror. */
const ACCOUNT_FIGURES: ReadonlyArray<[view: keyof AccountSummary, ledger: keyof PointsAccountState['balance']]> = [
  ['available', 'available'],
  ['pending', 'pending'],
  ['blocked', 'blocked'],
  ['earned', 'earned'],
  ['spent', 'spent'],
  ['expired', 'expired'],
  ['p2pIn', 'p2pReceived'],
  ['p2pOut', 'p2pSent'],
];

const sameInstant = (a: string | null | undefined, b: string | null | undefined): boolean =>
  (a ?? null) === (b ?? null) || (a != null && b != null && Date.parse(a) === Date.parse(b));

/** What the lots view must say the scheduler does next with a lot, from the ledger's lot. */
function dueOf(lot: Lot): { dueAt: string | null; dueAction: 'activate' | 'expire' | null } {
  if (lot.state === 'pending' && lot.activatesAt) return { dueAt: lot.activatesAt, dueAction: 'activate' };
  if (lot.state === 'active' && lot.expiresAt && lot.remaining > 0) return { dueAt: lot.expiresAt, dueAction: 'expire' };
  return { dueAt: null, dueAction: null };
}

function compareLots(account: string, ledgerLots: readonly Lot[], viewLots: LotRecord[], out: Difference[]): void {
  const byId = new Map(viewLots.map((lot) => [lot.lotId, lot]));
  for (const lot of ledgerLots) {
    const view = byId.get(lot.id);
    byId.delete(lot.id);
    const field = (name: string) => `lots.${lot.id}.${name}`;
    if (!view) {
      out.push({ account, field: field('row'), view: 'missing', ledger: `${lot.state} ${formatPoints(lot.remaining)}` });
      continue;
    }
    const state = lot.state === 'cancelled' ? 'canceled' : lot.state;
    if (view.state !== state) out.push({ account, field: field('state'), view: view.state, ledger: state });
    if (view.remaining !== lot.remaining) out.push({ account, field: field('remaining'), view: formatPoints(view.remaining), ledger: formatPoints(lot.remaining) });
    const due = dueOf(lot);
    if (view.dueAction !== due.dueAction || !sameInstant(view.dueAt, due.dueAt)) {
      out.push({ account, field: field('due'), view: `${view.dueAction ?? 'none'} ${view.dueAt ?? ''}`.trim(), ledger: `${due.dueAction ?? 'none'} ${due.dueAt ?? ''}`.trim() });
    }
  }
  for (const extra of byId.values()) out.push({ account, field: `lots.${extra.lotId}.row`, view: `${extra.state} ${formatPoints(extra.remaining)}`, ledger: 'missing' });
}

function compareAccount(account: string, state: PointsAccountState, view: AccountSummary | undefined, out: Difference[]): void {
  if (state.status === 'closed') {
    if (view) out.push({ account, field: 'accounts.row', view: 'present', ledger: 'closed' });
    return;
  }
  if (!view) {
    out.push({ account, field: 'accounts.row', view: 'missing', ledger: `available ${formatPoints(state.balance.available)}` });
    return;
  }
  for (const [viewField, ledgerField] of ACCOUNT_FIGURES) {
    const viewValue = view[viewField] as number;
    const ledgerValue = state.balance[ledgerField];
    if (viewValue !== ledgerValue) out.push({ account, field: `accounts.${viewField}`, view: formatPoints(viewValue), ledger: formatPoints(ledgerValue) });
  }
}

/**
 * Folds every points account from the event log with the ledger's own fold and compares the result
 * with the accounts view (summary figures) and the lots view (each lot's state, remaining and due
 * time). The log is read up to the views' checkpoint, so a view that is merely behind is no difference.
 */
export async function verifyViews(infrastructure: Infrastructure, onProgress?: (progress: RebuildProgress) => void): Promise<VerifyReport> {
  const [accountsCheckpoint, lotsCheckpoint] = await infrastructure.projectionStore.checkpoints(['accounts', 'lots']);
  const upTo = Math.min(accountsCheckpoint.position, lotsCheckpoint.position);
  const states = new Map<string, { key: AccountKey; state: PointsAccountState }>();
  const started = performance.now();
  let events = 0;
  let after = START;
  const total = Math.max(0, upTo - START);
  const report = (done: number) => {
    const seconds = (performance.now() - started) / 1000;
    const eventsPerSecond = seconds > 0 ? Math.round(done / seconds) : 0;
    onProgress?.({ name: 'verify', done, total: Math.max(total, done), eventsPerSecond, etaSeconds: eventsPerSecond ? Math.max(0, (total - done) / eventsPerSecond) : 0 });
  };
  for (;;) {
    const batch: StoredEvent[] = upTo <= after ? [] : await infrastructure.eventStore.readAll({ after, maxCount: READ_BATCH });
    let reachedEnd = batch.length === 0;
    for (const event of batch) {
      if (event.position > upTo) {
        reachedEnd = true;
        break;
      }
      events++;
      const key = parsePointsAccountStream(event.streamId);
      if (!key) continue;
      const entry = states.get(event.streamId) ?? { key, state: initialState() };
      entry.state = evolve(entry.state, { type: event.type, data: event.data } as PointsAccountEvent);
      states.set(event.streamId, entry);
    }
    if (batch.length) after = batch[batch.length - 1].position;
    report(Math.max(0, Math.min(after, upTo) - START));
    if (reachedEnd || after >= upTo) break;
  }

  const differences: Difference[] = [];
  let lots = 0;
  for (const { key, state } of states.values()) {
    const account = `${key.tenant}/${key.storeCode}/${key.customerId}`;
    compareAccount(account, state, await infrastructure.readModels.accounts.account(key.tenant, key.storeCode, key.customerId), differences);
    const viewLots = await infrastructure.readModels.lots.lots(key.tenant, key.storeCode, key.customerId);
    // a closed account's lots leave the view with it
    const ledgerLots = state.status === 'closed' ? [] : state.lots;
    lots += ledgerLots.length;
    compareLots(account, ledgerLots, viewLots, differences);
  }
  return { position: upTo, events, accounts: states.size, lots, differences };
}
