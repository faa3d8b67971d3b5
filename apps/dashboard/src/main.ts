import './style.css';
import { ApiError, CustomerKey, EngineApi, HistoryEntry, PointsSummary, Customer, TransferFilters } from './api';
import { HistogramChart } from './histogram';

const api = new EngineApi();

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page lacks #${id}`);
  return found as T;
}

const status = element<HTMLParagraphElement>('status');
const signInSection = element<HTMLElement>('sign-in');
const workspace = element<HTMLElement>('workspace');
const session = element<HTMLElement>('session');
const storeSelect = element<HTMLSelectElement>('store');
const histogram = new HistogramChart(element('histogram-chart'), element('histogram-table'), element('histogram-caption'));

/** One line for screen readers and eyes: what is loading, what failed and why. */
function say(message: string, kind: 'info' | 'error' = 'info'): void {
  status.textContent = message;
  status.dataset.kind = kind;
}

function failed(what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ApiError && error.sessionEnded) showSignIn();
  say(`${what} failed: ${message}${error instanceof ApiError && error.sessionEnded ? '. Sign in again.' : ''}`, 'error');
}

function cell(text: string | number, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (className) td.className = className;
  return td;
}

function row(...cells: HTMLTableCellElement[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.append(...cells);
  return tr;
}

function emptyRow(columns: number, text: string): HTMLTableRowElement {
  const td = cell(text, 'empty');
  td.colSpan = columns;
  return row(td);
}

/** times in UTC to the minute, as the engine stores them */
const when = (iso: string | undefined | null) => (iso ? `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '');
const store = () => storeSelect.value;

// --- sign in and out ---------------------------------------------------------------------------

function showSignIn(message?: string): void {
  api.signOut();
  workspace.hidden = true;
  session.hidden = true;
  signInSection.hidden = false;
  histogram.clear();
  if (message) say(message);
  element<HTMLInputElement>('client-id').focus();
}

element<HTMLFormElement>('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const clientId = element<HTMLInputElement>('client-id').value.trim();
  const secretInput = element<HTMLInputElement>('client-secret');
  if (!clientId || !secretInput.value) return say('Enter the client id and the client secret.', 'error');
  say('Signing in…');
  try {
    await api.signIn(clientId, secretInput.value);
    secretInput.value = '';
    const { stores, defaultStore } = await api.stores();
    storeSelect.replaceChildren(...stores.map((s) => new Option(`${s.storeCode} (${s.currency})`, s.storeCode, false, s.storeCode === defaultStore)));
    if (!stores.length) return say('This client’s tenant has no store.', 'error');
    element('signed-in-as').textContent = `Signed in as ${clientId}`;
    signInSection.hidden = true;
    workspace.hidden = false;
    session.hidden = false;
    element<HTMLElement>('main').focus();
    await refreshAll();
  } catch (error) {
    // a token whose stores could not be read is not kept either
    api.signOut();
    failed('Sign-in', error);
  }
});

element('sign-out').addEventListener('click', () => showSignIn('Signed out.'));
storeSelect.addEventListener('change', () => void refreshAll());

async function refreshAll(): Promise<void> {
  say(`Loading store ${store()}…`);
  transferPage = 1;
  const results = await Promise.all([loadHistogram(), loadProjections(), loadTransfers()]);
  if (results.every(Boolean)) say(`Store ${store()} loaded.`);
}

// --- histogram ---------------------------------------------------------------------------------

async function loadHistogram(): Promise<boolean> {
  const pointType = element<HTMLSelectElement>('point-type').value;
  const interval = element<HTMLSelectElement>('interval').value;
  const lastDays = Number(element<HTMLInputElement>('last-days').value);
  const futureDays = Number(element<HTMLInputElement>('future-days').value);
  try {
    histogram.show(pointType, interval, await api.histogram(store(), { pointType, interval, lastDays, futureDays }));
    return true;
  } catch (error) {
    failed('The histogram', error);
    return false;
  }
}

element<HTMLFormElement>('histogram-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (await loadHistogram()) say('Histogram updated.');
});

// --- projections -------------------------------------------------------------------------------

async function loadProjections(): Promise<boolean> {
  const body = element<HTMLTableElement>('projections-table').tBodies[0];
  try {
    const { projections } = await api.projections();
    body.replaceChildren(
      ...projections.map((p) =>
        row(cell(p.name), cell(p.checkpoint, 'num'), cell(p.head, 'num'), cell(p.lagEvents, 'num'), cell(p.lagSeconds, 'num'), cell(p.failing ? 'failing' : p.lagEvents === 0 ? 'caught up' : p.running ? 'catching up' : 'behind (runs elsewhere)', p.failing ? 'bad' : '')),
      ),
    );
    return true;
  } catch (error) {
    failed('Projection status', error);
    return false;
  }
}

element('projections-refresh').addEventListener('click', async () => {
  if (await loadProjections()) say('Projection status updated.');
});

// --- transfers ---------------------------------------------------------------------------------

let transferPage = 1;
let transferPages = 1;

function transferFilters(): TransferFilters {
  const form = element<HTMLFormElement>('transfers-form');
  const states = [...form.querySelectorAll<HTMLInputElement>('input[name="state"]:checked')].map((box) => box.value);
  const value = (id: string) => element<HTMLInputElement | HTMLSelectElement>(id).value.trim();
  const filters: TransferFilters = {
    type: value('transfer-type'),
    customerEmail: value('transfer-customer-email'),
    customerPhone: value('transfer-customer-phone'),
    customerFirstName: value('transfer-customer-first-name'),
    customerLastName: value('transfer-customer-last-name'),
    customerId: value('transfer-customer-id'),
    sort: value('transfer-sort'),
    direction: value('transfer-direction'),
  };
  if (states.length) filters.state = states;
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== ''));
}

async function loadTransfers(): Promise<boolean> {
  const perPage = Number(element<HTMLSelectElement>('transfer-per-page').value);
  const body = element<HTMLTableElement>('transfers-table').tBodies[0];
  try {
    const { transfers, total } = await api.transfers(store(), transferFilters(), transferPage, perPage);
    transferPages = Math.max(1, Math.ceil(total / perPage));
    body.replaceChildren(
      ...(transfers.length
        ? transfers.map((t) => {
            const name = [t.customerFirstName, t.customerLastName].filter(Boolean).join(' ');
            return row(cell(when(t.createdAt)), cell(t.customerEmail ?? (name || t.customerId)), cell(t.type), cell(t.state), cell(t.value, 'num'), cell(when(t.expiresAt)), cell(t.comment ?? ''));
          })
        : [emptyRow(7, 'No transfer matches these filters.')]),
    );
    element('transfers-page').textContent = `Page ${transferPage} of ${transferPages} (${total} transfer${total === 1 ? '' : 's'})`;
    element<HTMLButtonElement>('transfers-previous').disabled = transferPage <= 1;
    element<HTMLButtonElement>('transfers-next').disabled = transferPage >= transferPages;
    return true;
  } catch (error) {
    failed('The transfer listing', error);
    return false;
  }
}

const transfersForm = element<HTMLFormElement>('transfers-form');
transfersForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  transferPage = 1;
  if (await loadTransfers()) say('Transfers filtered.');
});
transfersForm.addEventListener('reset', () => {
  // the form's fields are cleared after this event: list again once they are
  setTimeout(() => {
    transferPage = 1;
    void loadTransfers().then((ok) => ok && say('Transfer filters cleared.'));
  });
});
element('transfers-previous').addEventListener('click', () => {
  if (transferPage > 1) transferPage -= 1;
  void loadTransfers();
});
element('transfers-next').addEventListener('click', () => {
  if (transferPage < transferPages) transferPage += 1;
  void loadTransfers();
});

// --- customer search ---------------------------------------------------------------------------

function facts(list: HTMLElement, entries: Array<[string, string | number | undefined | null]>): void {
  list.replaceChildren(
    ...entries
      .filter(([, value]) => value !== undefined && value !== null && value !== '')
      .flatMap(([term, value]) => {
        const dt = document.createElement('dt');
        dt.textContent = term;
        const dd = document.createElement('dd');
        dd.textContent = String(value);
        return [dt, dd];
      }),
  );
}

const ZERO_SUMMARY: PointsSummary = { active: 0, pending: 0, blocked: 0, earned: 0, spent: 0, expired: 0, expiringIn30Days: 0, lastChangeAt: null };

function showCustomer(customer: Customer, summary: PointsSummary, history: HistoryEntry[]): void {
  const name = [customer.firstName, customer.lastName].filter(Boolean).join(' ');
  element('customer-name').textContent = name || customer.email || customer.customerId;
  facts(element('customer-profile'), [
    ['Customer id', customer.customerId],
    ['Customer number', customer.customerNumber],
    ['E-mail', customer.email],
    ['Phone', customer.phone],
    ['Loyalty card', customer.loyaltyCardNumber],
  ]);
  facts(element('customer-summary'), [
    ['Available', summary.active],
    ['Pending', summary.pending],
    ['Blocked', summary.blocked],
    ['Earned', summary.earned],
    ['Spent', summary.spent],
    ['Expired', summary.expired],
    ['Expiring in 30 days', summary.expiringIn30Days],
    ['Last change', when(summary.lastChangeAt)],
  ]);
  element<HTMLTableElement>('customer-history').tBodies[0].replaceChildren(
    ...(history.length
      ? [...history].reverse().map((entry) => {
          const signed = entry.kind === 'spent' || entry.kind === 'expired' || entry.kind === 'blocked' ? -entry.points : entry.points;
          return row(cell(when(entry.at)), cell(entry.transferType && entry.transferType !== entry.kind ? `${entry.kind} (${entry.transferType})` : entry.kind), cell(signed, 'num'), cell(entry.balance.available, 'num'), cell(entry.comment ?? ''));
        })
      : [emptyRow(5, 'No points account yet.')]),
  );
  element('customer-result').hidden = false;
}

element<HTMLFormElement>('customer-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const by = element<HTMLSelectElement>('customer-by').value as CustomerKey;
  const value = element<HTMLInputElement>('customer-value').value.trim();
  element('customer-result').hidden = true;
  if (!value) return say('Enter what to search for.', 'error');
  say('Searching…');
  try {
    const { customers } = await api.findCustomer(store(), by, value);
    if (!customers.length) return say(`No customer of store ${store()} has that ${by === 'customerNumber' ? 'customer number' : by === 'email' ? 'e-mail' : 'phone'}.`, 'error');
    const customer = customers[0];
    const [summary, { entries }] = await Promise.all([
      // a registered customer has no points account until its first credit
      api.summary(store(), customer.customerId).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return ZERO_SUMMARY;
        throw error;
      }),
      api.history(store(), customer.customerId),
    ]);
    showCustomer(customer, summary, entries);
    say(`Customer ${customer.customerId} found.`);
  } catch (error) {
    failed('The customer search', error);
  }
});
