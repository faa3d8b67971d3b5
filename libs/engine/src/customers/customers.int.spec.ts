import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openSqlite, SqliteEventStore, type SqliteDatabase } from '@app/event-store';
import { customerKeyStream, customerStream, isLedgerError, ManualClock, pointsAccountStream } from '@app/ledger';
import type { EngineConfig } from '../config';
import { openInfrastructure, type Infrastructure } from '../infrastructure';
import { ProgressTracker } from '../progress-tracker';
import { PointsQueries } from '../queries/points-queries';
import { CustomerRegistry, STALE_CLAIM_MS } from './customer-registry';
import { CustomerResolver } from './customer-resolver';
import { Customers } from './customers';

const web = { tenant: 'acme', storeCode: 'web' };
const shop = { tenant: 'acme', storeCode: 'shop' };

/** The customer use cases over a real SQLite file, its projections running, as the embedded profile runs them. */
describe('customers in the engine (SQLite)', () => {
  let dir: string;
  let infra: Infrastructure;
  let clock: ManualClock;
  let progress: ProgressTracker;
  let registry: CustomerRegistry;
  let customers: Customers;
  let resolver: CustomerResolver;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'customers-'));
    infra = await openInfrastructure({ profile: 'embedded', sqlitePath: join(dir, 'loyalty.db') } as EngineConfig);
    await infra.runner.start();
    clock = new ManualClock('2026-03-01T10:00:00.000Z');
    progress = new ProgressTracker({ waitFor: (position, timeoutMs) => infra.runner.waitFor(position, { timeoutMs }) });
    registry = new CustomerRegistry(infra.eventStore, clock, progress);
    customers = new Customers(infra.readModels, progress, new PointsQueries(progress, infra.readModels, infra.eventStore, clock));
    resolver = new CustomerResolver(infra.readModels, progress);
  });

  afterEach(async () => {
    await infra.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => (isLedgerError(error) ? { code: error.code, status: error.httpStatus, details: error.details } : error),
    );

  describe('registry', () => {
    it("walks every customer of a store once: registered ones and account holders, merged in id order, page by page", async () => {
      for (const id of ['c4', 'c1', 'c6']) await registry.register(web, id, {});
      await registry.register(shop, 'c2', {});
      // accounts: c1 is also registered, c3 and c5 are not; c9 is another store's
      for (const [storeCode, customerId] of [['web', 'c1'], ['web', 'c5'], ['web', 'c3'], ['shop', 'c9']]) {
        const opened = await infra.eventStore.appendToStream(pointsAccountStream({ tenant: 'acme', storeCode, customerId }), [
          { id: randomUUID(), type: 'AccountOpened', data: { accountId: randomUUID(), tenant: 'acme', storeCode, customerId, openedAt: clock.now().toISOString() }, metadata: { tenant: 'acme', storeCode } },
        ]);
        progress.appended(opened.position);
      }
      const walked: string[] = [];
      for await (const id of customers.everyCustomerId(web, 2)) walked.push(id);
      expect(walked).toEqual(['c1', 'c3', 'c4', 'c5', 'c6']);
      const shopWalk: string[] = [];
      for await (const id of customers.everyCustomerId(shop)) shopWalk.push(id);
      expect(shopWalk).toEqual(['c2', 'c9']);
    });

    it('registers a customer and reads it back at once (read-your-writes)', async () => {
      const id = await registry.register(web, undefined, { email: 'Ann@Example.com', firstName: 'Ann' });
      expect(await registry.load('acme', id)).toEqual({ status: 'registered', customerId: id, storeCode: 'web', profile: { email: 'Ann@Example.com', firstName: 'Ann' } });
      expect(await customers.get(web, id)).toMatchObject({ customerId: id, email: 'Ann@Example.com', firstName: 'Ann', lastName: null });
      expect((await customers.lookup(web, 'email', 'ann@example.COM'))?.customerId).toBe(id);
    });

    it('a unique value is unique per store, e-mail in any case; the refusal names the field and leaves no claim behind', async () => {
      await registry.register(web, 'ann', { email: 'ann@example.com', phone: '+48111' });
      expect(await refusal(registry.register(web, 'bob', { customerNumber: 'N-1', email: 'ANN@example.com' }))).toEqual({
        code: 'customer_exists',
        status: 409,
        details: { field: 'email' },
      });
      expect(await registry.load('acme', 'bob')).toBeUndefined();
      // bob's customer number, claimed before the e-mail was refused, was given back
      await registry.register(web, 'carl', { customerNumber: 'N-1' });
      // another store has its own values
      await registry.register(shop, 'dora', { email: 'ann@example.com', phone: '+48111' });
    });

    it('refuses an existing id and a malformed one', async () => {
      await registry.register(web, 'ann', {});
      expect(await refusal(registry.register(shop, 'ann', {}))).toEqual({ code: 'customer_exists', status: 409, details: { field: 'customerId' } });
      expect(await refusal(registry.register(web, 'a:b', {}))).toMatchObject({ code: 'invalid_customer_id', status: 422 });
    });

    it('an update moves a unique value: the old one is free for others, the new one taken', async () => {
      await registry.register(web, 'ann', { email: 'old@example.com', lastName: 'Lee' });
      const after = await registry.update(web, 'ann', { email: 'new@example.com', lastName: null });
      expect(after.profile).toEqual({ email: 'new@example.com' });
      expect((await customers.get(web, 'ann')).lastName).toBeNull();
      await registry.register(web, 'bob', { email: 'old@example.com' });
      expect(await refusal(registry.update(web, 'bob', { email: 'NEW@example.com' }))).toMatchObject({ code: 'customer_exists', details: { field: 'email' } });
      expect((await registry.load('acme', 'bob'))?.profile.email).toBe('old@example.com');
    });

    it('an update that changes nothing appends nothing; an unknown customer or another store is customer_not_found', async () => {
      await registry.register(web, 'ann', { email: 'ann@example.com' });
      const before = await infra.eventStore.readStream(customerStream('acme', 'ann'));
      await registry.update(web, 'ann', { email: 'ann@example.com' });
      expect(await infra.eventStore.readStream(customerStream('acme', 'ann'))).toHaveLength(before.length);
      expect(await refusal(registry.update(web, 'nobody', { firstName: 'X' }))).toMatchObject({ code: 'customer_not_found', status: 404 });
      expect(await refusal(registry.update(shop, 'ann', { firstName: 'X' }))).toMatchObject({ code: 'customer_not_found' });
    });

    it('a claim a crash left behind is respected while fresh and taken over once stale', async () => {
      const ghost = randomUUID();
      await infra.eventStore.appendToStream(
        customerKeyStream('acme', 'web', 'email', 'ghost@example.com'),
        [{ id: randomUUID(), type: 'CustomerKeyReserved', data: { customerId: ghost, field: 'email', value: 'ghost@example.com', at: clock.now().toISOString() }, metadata: {} }],
        { expectedRevision: 'no_stream' },
      );
      expect(await refusal(registry.register(web, 'ann', { email: 'ghost@example.com' }))).toMatchObject({ code: 'customer_exists' });
      clock.advance(STALE_CLAIM_MS);
      await registry.register(web, 'ann', { email: 'Ghost@example.com' });
      expect((await customers.lookup(web, 'email', 'ghost@example.com'))?.customerId).toBe('ann');
    });

    it('a claim whose holder no longer carries the value is taken over at once', async () => {
      await registry.register(web, 'ann', { phone: '+48111' });
      // a crash after the profile moved but before the old value was released
      await infra.eventStore.appendToStream(customerStream('acme', 'ann'), [
        { id: randomUUID(), type: 'CustomerUpdated', data: { phone: '+48222', updatedAt: clock.now().toISOString() }, metadata: {} },
      ]);
      await registry.register(web, 'bob', { phone: '+48111' });
      expect((await customers.lookup(web, 'phone', '+48111'))?.customerId).toBe('bob');
    });
  });

  describe('two processes on one file', () => {
    let otherDb: SqliteDatabase;
    let other: CustomerRegistry;

    beforeEach(() => {
      otherDb = openSqlite(join(dir, 'loyalty.db'));
      other = new CustomerRegistry(new SqliteEventStore(otherDb), clock, new ProgressTracker({ waitFor: async () => undefined }));
    });
    afterEach(() => otherDb.close());

    it('concurrent registrations of one e-mail from both: exactly one wins', async () => {
      const attempts = Array.from({ length: 8 }, (_, i) => (i % 2 ? registry : other).register(web, `c${i}`, { email: 'race@example.com' }));
      const outcomes = await Promise.allSettled(attempts);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: expect.stringMatching(/customer_exists/) });
    });

    it('an update decided again after the other process changed the profile releases what that profile held', async () => {
      // the other process changes the profile while this one claims its new value, i.e. between its load and its append
      let meanwhile: (() => Promise<unknown>) | undefined;
      const store = infra.eventStore;
      const racing = Object.create(store) as typeof store;
      racing.appendToStream = async (stream, events, options) => {
        const run = stream.startsWith('customerKey-') ? meanwhile : undefined;
        meanwhile = undefined;
        await run?.();
        return store.appendToStream(stream, events, options);
      };
      const racer = new CustomerRegistry(racing, clock, progress);
      await racer.register(web, 'ann', { email: 'a1@example.com' });
      meanwhile = () => other.update(web, 'ann', { email: 'a2@example.com' });
      await racer.update(web, 'ann', { email: 'a3@example.com' });
      expect((await registry.load('acme', 'ann'))?.profile.email).toBe('a3@example.com');
      // a2, held by the profile the update was decided on, was given back (not merely left stale)
      const a2 = await store.readStream(customerKeyStream('acme', 'web', 'email', 'a2@example.com'));
      expect(a2.map((e) => e.type)).toEqual(['CustomerKeyReserved', 'CustomerKeyReleased']);
      const a1 = await store.readStream(customerKeyStream('acme', 'web', 'email', 'a1@example.com'));
      expect(a1.map((e) => e.type)).toEqual(['CustomerKeyReserved', 'CustomerKeyReleased']);
    });
  });

  describe('resolver: one rule for every dialect', () => {
    beforeEach(async () => {
      await registry.register(web, 'ann', { email: 'ann@example.com', phone: '+48111', customerNumber: 'N-1', loyaltyCardNumber: 'CARD-1' });
      await registry.register(shop, 'bob', { email: 'bob@example.com', customerNumber: 'N-2' });
    });

    it('by id, any well-formed id names a customer, registered or not; a malformed id is invalid_customer_id', async () => {
      expect(await resolver.resolve(web, { by: 'id', value: 'ann' })).toBe('ann');
      expect(await resolver.resolve(web, { by: 'id', value: 'never-registered' })).toBe('never-registered');
      expect(await refusal(resolver.resolve(web, { by: 'id', value: 'a b' }))).toMatchObject({ code: 'invalid_customer_id', status: 422 });
    });

    it("by a unique value, it must be a registered customer's of that store", async () => {
      expect(await resolver.resolve(web, { by: 'email', value: 'ANN@example.com' })).toBe('ann');
      expect(await resolver.resolve(web, { by: 'phone', value: '+48111' })).toBe('ann');
      expect(await resolver.resolve(web, { by: 'customerNumber', value: 'N-1' })).toBe('ann');
      expect(await resolver.resolve(web, { by: 'loyaltyCardNumber', value: 'CARD-1' })).toBe('ann');
      expect(await refusal(resolver.resolve(web, { by: 'customerNumber', value: 'N-2' }))).toMatchObject({ code: 'customer_not_found', status: 404 });
    });

    it('sees a value registered or changed just before (read-your-writes)', async () => {
      await registry.update(web, 'ann', { customerNumber: 'N-9' });
      expect(await resolver.resolve(web, { by: 'customerNumber', value: 'N-9' })).toBe('ann');
    });

    it('a free-form reference: registered id, then e-mail, phone, customer number, then a uuid; else customer_not_found', async () => {
      expect(await resolver.resolveReference(web, 'ann')).toBe('ann');
      expect(await resolver.resolveReference(web, 'Ann@Example.com')).toBe('ann');
      expect(await resolver.resolveReference(web, '+48111')).toBe('ann');
      expect(await resolver.resolveReference(web, 'N-1')).toBe('ann');
      const stranger = randomUUID();
      expect(await resolver.resolveReference(web, stranger)).toBe(stranger);
      expect(await refusal(resolver.resolveReference(web, 'bob@example.com'))).toMatchObject({ code: 'customer_not_found', status: 404 });
      expect(await refusal(resolver.resolveReference(web, 'not-an-id'))).toMatchObject({ code: 'customer_not_found' });
    });

    it('locate finds a registered customer in any store of the tenant, or nothing', async () => {
      expect(await resolver.locate('acme', { by: 'customerNumber', value: 'N-2' })).toEqual({ customerId: 'bob', storeCode: 'shop' });
      expect(await resolver.locate('acme', { by: 'id', value: 'ann' })).toEqual({ customerId: 'ann', storeCode: 'web' });
      expect(await resolver.locate('acme', { by: 'email', value: 'BOB@example.com' })).toEqual({ customerId: 'bob', storeCode: 'shop' });
      expect(await resolver.locate('acme', { by: 'customerNumber', value: 'N-404' })).toBeUndefined();
      expect(await resolver.locate('other', { by: 'id', value: 'ann' })).toBeUndefined();
    });
  });
});
