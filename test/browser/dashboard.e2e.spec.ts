import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser, Locator, Page } from 'playwright-core';
import { ClientService } from '@app/auth';
import { ManualClock } from '@app/ledger';
import { startTestEngine, TEST_CLIENT_ID, TEST_CLIENT_SECRET, TestEngine } from '../support/engine';
import { ensureDashboardBuilt, launchChromium, listenOnLoopback, SCREENSHOTS } from '../support/dashboard';

const SETTLE_MS = 15_000;

/** The element's text once it is `expected` (the page answers asynchronously), or whatever it shows when the wait runs out. */
async function textOnceShown(locator: Locator, expected: string, match: 'exact' | 'contains' = 'exact'): Promise<string> {
  const deadline = Date.now() + SETTLE_MS;
  let text = '';
  while (Date.now() < deadline) {
    text = ((await locator.textContent()) ?? '').trim();
    if (match === 'exact' ? text === expected : text.includes(expected)) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return text;
}

async function shows(locator: Locator, expected: string): Promise<void> {
  expect(await textOnceShown(locator, expected)).toBe(expected);
}

async function mentions(locator: Locator, expected: string): Promise<void> {
  expect(await textOnceShown(locator, expected, 'contains')).toContain(expected);
}

/** the id of the element holding the keyboard focus */
const focused = (page: Page) => page.evaluate("document.activeElement ? document.activeElement.id : ''");

/** The histogram's data as the page shows it: the table written from the chart's own data, period -> points. */
async function chartedPoints(page: Page): Promise<Record<string, string>> {
  const rows = await page.locator('#histogram-table tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.children[0].textContent, tr.children[1].textContent]));
  return Object.fromEntries(rows.filter(([, points]) => points !== '0'));
}

async function signIn(page: Page, clientId = TEST_CLIENT_ID, secret = TEST_CLIENT_SECRET): Promise<void> {
  await page.getByLabel('Client id').fill(clientId);
  await page.getByLabel('Client secret').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const columnTexts = (page: Page, table: string, column: number) => page.locator(`${table} tbody tr td:nth-child(${column})`).allTextContents();

describe('the operator dashboard in a real browser, over a real engine on loopback', () => {
  // the data's days are fixed, so the histogram's periods are too
  const clock = new ManualClock('2026-06-10T09:00:00.000Z');
  const tag = randomUUID().slice(0, 8);
  const ada = { customerId: randomUUID(), email: `ada-${tag}@example.com`, phone: '+48500100200', customerNumber: `C-${tag}`, firstName: 'Ada', lastName: 'Lovelace' };
  const bob = { customerId: randomUUID(), email: `bob-${tag}@example.com`, firstName: 'Bob', lastName: 'Marley' };
  let engine: TestEngine;
  let baseUrl: string;
  let browser: Browser;

  const post = (path: string, body: object) => engine.http().post(path).set('Authorization', `Bearer ${engine.token}`).send(body);
  /** moves business time on; the old token has expired by then */
  const daysLater = async (iso: string) => {
    clock.set(iso);
    await engine.refreshToken();
  };

  beforeAll(async () => {
    ensureDashboardBuilt();
    engine = await startTestEngine({ clock });
    baseUrl = await listenOnLoopback(engine.app);
    browser = await launchChromium();

    await post('/api/DEFAULT/customers', ada).expect(201);
    await post('/api/DEFAULT/customers', bob).expect(201);
    await post('/api/DEFAULT/points/transfer/add', { transfer: { customer: ada.customerId, points: 100, comment: 'welcome bonus' } }).expect(200);
    await daysLater('2026-06-10T10:00:00.000Z');
    await post('/api/DEFAULT/points/transfer/add', { transfer: { customer: bob.customerId, points: 40 } }).expect(200);
    await daysLater('2026-06-12T15:30:00.000Z');
    await post('/api/DEFAULT/points/transfer/add', { transfer: { customer: ada.customerId, points: 25.5, comment: 'order 1001' } }).expect(200);
    await daysLater('2026-06-14T11:00:00.000Z');
    await post('/api/DEFAULT/points/transfer/spend', { transfer: { customer: ada.customerId, points: 30, comment: 'voucher' } }).expect(200);
    await daysLater('2026-06-15T08:00:00.000Z');
    // a second store of the tenant, with nothing in it, to pick from
    await engine.app.get(ClientService).addStore('default', `SHOP_${tag}`, 'PLN');
  });

  afterAll(async () => {
    await browser?.close();
    await engine?.close();
  });

  it('serves the page without credentials, from the built bundle only, under a CSP that allows nothing from elsewhere', async () => {
    await engine.http().get('/dashboard').expect(302).expect('Location', '/dashboard/');
    const page = await engine.http().get('/dashboard/').expect(200).expect('Content-Type', /text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const assets = [...page.text.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/dashboard\/assets\//);
      await engine.http().get(asset).expect(200).expect('Cache-Control', /immutable/);
    }
    await engine.http().get('/dashboard/../package.json').expect((response) => expect(response.status).toBeGreaterThanOrEqual(400));
  });

  it("the operator routes: another tenant's client sees its own stores only; history and projections need a token", async () => {
    const clients = engine.app.get(ClientService);
    await clients.createTenant(`t-${tag}`);
    await clients.addStore(`t-${tag}`, 'MAIN', 'USD');
    const stranger = await clients.createClient(`t-${tag}`, ['points:read'], { defaultStore: 'MAIN' });
    const token = (await engine.http().post('/api/oauth/token').send({ grant_type: 'client_credentials', client_id: stranger.clientId, client_secret: stranger.clientSecret }).expect(200)).body.access_token as string;
    expect((await engine.http().get('/api/ops/stores').set('Authorization', `Bearer ${token}`).expect(200)).body).toEqual({ stores: [{ storeCode: 'MAIN', currency: 'USD' }], defaultStore: 'MAIN' });
    await engine.http().get(`/api/DEFAULT/accounts/${ada.customerId}/history`).set('Authorization', `Bearer ${token}`).expect(404);
    await engine.http().get('/api/ops/projections').expect(401);

    const history = await engine.http().get(`/api/DEFAULT/accounts/${ada.customerId}/history`).set('Authorization', `Bearer ${engine.token}`).expect(200);
    expect(history.body.entries.map((entry: { kind: string; points: number; balance: { available: number } }) => [entry.kind, entry.points, entry.balance.available])).toEqual([
      ['added', 100, 100],
      ['added', 25.5, 125.5],
      ['spent', 30, 95.5],
    ]);
    expect(history.body.entries[0].lot).toEqual({ remaining: 70, used: 30, usedWith: [expect.any(String)], state: 'active' });
    await engine.http().get('/api/DEFAULT/accounts/not%20an%20id/history').set('Authorization', `Bearer ${engine.token}`).expect(400);

    const documented = Object.keys((await engine.http().get('/docs/json').expect(200)).body.paths);
    expect(documented).toEqual(expect.arrayContaining(['/api/ops/stores', '/api/ops/projections', '/api/{storeCode}/accounts/{customerId}/history']));
  });

  it('signs in (a wrong secret is announced), draws the histogram from the added transfers, shows the projections, keeps the token out of storage', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    // script errors and CSP refusals; the API's refusals the test provokes are logged as failed loads
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
    });
    await page.goto(`${baseUrl}/dashboard/`);

    await signIn(page, TEST_CLIENT_ID, 'not-the-secret');
    await shows(page.locator('#status[aria-live]'), 'Sign-in failed: unknown client or wrong secret');
    expect(await page.locator('#status').getAttribute('data-kind')).toBe('error');

    await signIn(page);
    await shows(page.locator('#status'), 'Store DEFAULT loaded.');
    expect(await page.getByLabel('Store').locator('option').allTextContents()).toEqual(['DEFAULT (EUR)', `SHOP_${tag} (PLN)`]);
    expect(await page.getByLabel('Store').inputValue()).toBe('DEFAULT');

    // earned per day over the last 30 days: the two credits of the 10th and the one of the 12th
    expect(await page.locator('#histogram-table tbody tr').count()).toBe(30);
    expect(await chartedPoints(page)).toEqual({ '2026-06-10': '140', '2026-06-12': '25.5' });
    await shows(page.locator('#histogram-caption'), 'Earned points per day: 165.5 in total over 30 days');
    expect(await page.locator('#histogram-chart').evaluate((canvas) => (canvas as unknown as { width: number }).width)).toBeGreaterThan(0);

    await page.getByLabel('Points type').selectOption('spent');
    await page.getByRole('button', { name: 'Show' }).click();
    await shows(page.locator('#histogram-caption'), 'Spent points per day: 30 in total over 30 days');
    expect(await chartedPoints(page)).toEqual({ '2026-06-14': '30' });

    await page.getByLabel('Points type').selectOption('earned');
    await page.getByLabel('Per', { exact: true }).selectOption('month');
    await page.getByLabel('Last days').fill('60');
    await page.getByRole('button', { name: 'Show' }).click();
    await shows(page.locator('#histogram-caption'), 'Earned points per month: 165.5 in total over 3 months');
    expect(await chartedPoints(page)).toEqual({ '2026-06': '165.5' });

    // a bad range is refused by the API and said in the status line
    await page.getByLabel('Last days').fill('0');
    await page.getByRole('button', { name: 'Show' }).click();
    await mentions(page.locator('#status'), 'The histogram failed: request validation failed (lastDays: must be at least 1)');

    const projections = await columnTexts(page, '#projections-table', 1);
    expect(projections.length).toBeGreaterThan(0);
    const head = String(await engine.infrastructure.eventStore.headPosition());
    expect(await columnTexts(page, '#projections-table', 3)).toEqual(projections.map(() => head));
    expect(await columnTexts(page, '#projections-table', 6)).toEqual(projections.map(() => 'caught up'));

    expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
    expect(await context.cookies()).toEqual([]);

    await page.getByLabel('Points type').selectOption('earned');
    await page.getByLabel('Per', { exact: true }).selectOption('day');
    await page.getByLabel('Last days').fill('10');
    await page.getByRole('button', { name: 'Show' }).click();
    await shows(page.locator('#status'), 'Histogram updated.');
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-desktop.png'), fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Client id').waitFor({ state: 'visible' });
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it("filters the latest transfers by customer, type and state with the listing's own query", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${baseUrl}/dashboard/`);
    await signIn(page);
    await shows(page.locator('#status'), 'Store DEFAULT loaded.');
    await shows(page.locator('#transfers-page'), 'Page 1 of 1 (4 transfers)');
    expect(await columnTexts(page, '#transfers-table', 5)).toEqual(['30', '25.5', '40', '100']);

    await page.getByLabel('Customer e-mail').fill(bob.email.toUpperCase());
    await page.getByRole('button', { name: 'Filter' }).click();
    await shows(page.locator('#transfers-page'), 'Page 1 of 1 (1 transfer)');
    expect(await columnTexts(page, '#transfers-table', 2)).toEqual([bob.email]);
    expect(await columnTexts(page, '#transfers-table', 5)).toEqual(['40']);

    await page.getByRole('button', { name: 'Clear' }).click();
    await shows(page.locator('#status'), 'Transfer filters cleared.');
    await page.getByLabel('Transfer type').selectOption('spending');
    await page.getByRole('button', { name: 'Filter' }).click();
    await shows(page.locator('#transfers-page'), 'Page 1 of 1 (1 transfer)');
    expect(await columnTexts(page, '#transfers-table', 3)).toEqual(['spending']);
    expect(await columnTexts(page, '#transfers-table', 7)).toEqual(['voucher']);

    await page.getByLabel('Transfer type').selectOption('');
    await page.getByLabel('Canceled').check();
    await page.getByRole('button', { name: 'Filter' }).click();
    await shows(page.locator('#transfers-table tbody'), 'No transfer matches these filters.');

    await page.getByLabel('Canceled').uncheck();
    await page.getByLabel('Sort by').selectOption('value');
    await page.getByLabel('Order').selectOption('ASC');
    await page.getByLabel('Per page').selectOption('10');
    await page.getByRole('button', { name: 'Filter' }).click();
    // the status already says "Transfers filtered." from the filter before: wait for this listing's own page line
    await shows(page.locator('#transfers-page'), 'Page 1 of 1 (4 transfers)');
    expect(await columnTexts(page, '#transfers-table', 5)).toEqual(['25.5', '30', '40', '100']);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-transfers.png'), fullPage: true });
    await page.close();
  });

  it("finds a customer by e-mail, phone or customer number and shows its summary and its history with the balance after each change", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${baseUrl}/dashboard/`);
    await signIn(page);
    await shows(page.locator('#status'), 'Store DEFAULT loaded.');

    await page.getByLabel('Find by').selectOption('email');
    await page.getByLabel('Value').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Search' }).click();
    await shows(page.locator('#status'), 'No customer of store DEFAULT has that e-mail.');

    for (const [by, value] of [['email', ada.email], ['phone', ada.phone], ['customerNumber', ada.customerNumber]]) {
      await page.getByLabel('Find by').selectOption(by);
      await page.getByLabel('Value').fill(value);
      await page.getByRole('button', { name: 'Search' }).click();
      await shows(page.locator('#status'), `Customer ${ada.customerId} found.`);
      await shows(page.locator('#customer-name'), 'Ada Lovelace');
    }
    const summary = await page.locator('#customer-summary dt, #customer-summary dd').allTextContents();
    expect(summary).toEqual(expect.arrayContaining(['Available', '95.5', 'Earned', '125.5', 'Spent', '30', 'Expired', '0']));
    expect(summary.slice(0, 2)).toEqual(['Available', '95.5']);
    // newest first: the spend, then the two credits, each with what was available after it
    expect(await columnTexts(page, '#customer-history', 2)).toEqual(['spent (spending)', 'added (adding)', 'added (adding)']);
    expect(await columnTexts(page, '#customer-history', 3)).toEqual(['-30', '25.5', '100']);
    expect(await columnTexts(page, '#customer-history', 4)).toEqual(['95.5', '125.5', '100']);
    expect(await columnTexts(page, '#customer-history', 5)).toEqual(['voucher', 'order 1001', 'welcome bonus']);
    expect(await columnTexts(page, '#customer-history', 1)).toEqual(['2026-06-14 11:00 UTC', '2026-06-12 15:30 UTC', '2026-06-10 09:00 UTC']);

    // the other store of the tenant has neither the customer nor points
    await page.getByLabel('Store').selectOption(`SHOP_${tag}`);
    await shows(page.locator('#status'), `Store SHOP_${tag} loaded.`);
    expect(await chartedPoints(page)).toEqual({});
    await page.getByRole('button', { name: 'Search' }).click();
    await shows(page.locator('#status'), `No customer of store SHOP_${tag} has that customer number.`);
    await page.getByLabel('Store').selectOption('DEFAULT');
    await shows(page.locator('#status'), 'Store DEFAULT loaded.');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('#customer-result').waitFor({ state: 'visible' });
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-customer.png'), fullPage: true });
    await page.close();
  });

  it('works on a phone-sized screen with the keyboard alone: no sideways scrolling, every control reachable', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await page.goto(`${baseUrl}/dashboard/`);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('skip-link');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('client-id');
    await page.keyboard.type(TEST_CLIENT_ID);
    await page.keyboard.press('Tab');
    await page.keyboard.type(TEST_CLIENT_SECRET);
    await page.keyboard.press('Enter');
    await shows(page.locator('#status'), 'Store DEFAULT loaded.');
    expect(await chartedPoints(page)).toEqual({ '2026-06-10': '140', '2026-06-12': '25.5' });

    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    // every control has a name: a label, or its own text for buttons
    const unnamed = await page.evaluate(
      "[...document.querySelectorAll('input, select, button')].filter((c) => !(c.labels && c.labels.length) && !c.textContent.trim() && !c.getAttribute('aria-label')).map((c) => c.id || c.outerHTML)",
    );
    expect(unnamed).toEqual([]);
    // the chart fits the screen's width
    const chart = await page.locator('#histogram-chart').boundingBox();
    expect(chart!.width).toBeGreaterThan(200);
    expect(chart!.x + chart!.width).toBeLessThanOrEqual(390);

    // from the store picker on, Tab reaches the histogram's controls in order and Enter submits them
    await page.getByLabel('Store').focus();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('point-type');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('interval');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('last-days');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('3');
    await page.keyboard.press('Enter');
    await shows(page.locator('#status'), 'Histogram updated.');
    expect(await page.locator('#histogram-table tbody tr').count()).toBe(3);

    await page.getByLabel('Find by').selectOption('customerNumber');
    await page.getByLabel('Value').fill(ada.customerNumber);
    await page.getByLabel('Value').press('Enter');
    await shows(page.locator('#customer-name'), 'Ada Lovelace');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-phone.png'), fullPage: true });
    await page.close();
  });
});
