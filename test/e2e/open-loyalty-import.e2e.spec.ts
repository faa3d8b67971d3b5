import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdempotencyGuard } from '@app/engine';
import { startTestEngine, TEST_TENANT, TestEngine } from '../support/engine';
import { billionLaughsXml, externalEntityXml, pointsTransfersXml, writeLargeImportFile } from '../support/xml-fixtures';

describe('Open Loyalty XML import', () => {
  let engine: TestEngine;
  const auth = () => ({ Authorization: `Bearer ${engine.token}` });
  const upload = (xml: string | Buffer) =>
    engine.http().post('/api/DEFAULT/points/transfer/import').set(auth()).attach('file[file]', Buffer.isBuffer(xml) ? xml : Buffer.from(xml), 'points.xml');
  const summary = async (customerId: string) => (await engine.http().get(`/api/DEFAULT/customers/${customerId}/points`).set(auth()).expect(200)).body;

  // the import spools upload and answer under LOYALTY_IMPORT_SPOOL_DIR: a private one shows they are removed
  const previousSpoolDir = process.env.LOYALTY_IMPORT_SPOOL_DIR;
  const spoolRoot = mkdtempSync(join(tmpdir(), 'import-spools-'));
  const spools = () => readdirSync(spoolRoot).filter((name) => name.startsWith('points-import-'));

  beforeAll(async () => {
    engine = await startTestEngine();
    process.env.LOYALTY_IMPORT_SPOOL_DIR = spoolRoot;
  });
  afterAll(async () => {
    if (previousSpoolDir === undefined) delete process.env.LOYALTY_IMPORT_SPOOL_DIR;
    else process.env.LOYALTY_IMPORT_SPOOL_DIR = previousSpoolDir;
    rmSync(spoolRoot, { recursive: true, force: true });
    await engine.close();
  });
  afterEach(async () => {
    // answered, refused or replayed: no spool is left behind (removed as the response stream closes)
    for (let i = 0; i < 100 && spools().length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(spools()).toEqual([]);
  });

  it('reports bad items and applies the rest, in document order', async () => {
    const byId = randomUUID();
    const byEmail = randomUUID();
    const email = `anna-${byEmail}@example.com`;
    await engine.http().post('/api/DEFAULT/customers').set(auth()).send({ customerId: byEmail, email, phone: '+4811122233', loyaltyCardNumber: `card-${byEmail.slice(0, 8)}` }).expect(201);
    const xml = pointsTransfersXml([
      { customerId: byId, points: '15', type: 'adding', comment: 'welcome' },
      { customerId: byId, points: '4.5', type: 'spending' },
      { customerEmail: email.toUpperCase(), points: '10', type: 'adding', validityDuration: '7' },
      { customerPhoneNumber: '+4811122233', points: '1', type: 'adding' },
      { customerLoyaltyCardNumber: `card-${byEmail.slice(0, 8)}`, points: '2', type: 'spending' },
      { customerId: byId, points: '1000', type: 'spending' },
      { customerEmail: 'nobody@example.com', points: '1', type: 'adding' },
      { customerId: byId, points: '-3', type: 'adding' },
      { customerId: byId, points: '3', type: 'gifting' },
      { points: '3', type: 'adding' },
      { customerId: byId, points: '3', type: 'adding', validityDuration: 'forever' },
    ]);
    const response = await upload(xml).expect(200);
    expect(response.body).toMatchObject({ totalProcessed: 11, totalSuccess: 5, totalFailed: 6 });
    const statuses = response.body.items.map((item: { status: string }) => item.status);
    expect(statuses).toEqual(['success', 'success', 'success', 'success', 'success', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed']);
    expect(response.body.items[0].identifier).toBe(`${byId}/(adding 15)`);
    expect(response.body.items[5]).toEqual({ status: 'failed', identifier: `${byId}/(spending 1000)`, message: expect.stringMatching(/insufficient|available/i) });
    expect(response.body.items[6].message).toMatch(/no customer/);
    expect(response.body.items[7].message).toMatch(/greater than 0/);
    expect(response.body.items[8].message).toMatch(/adding or spending/);
    expect(response.body.items[9].message).toMatch(/customerId/);
    expect(response.body.items[10].message).toMatch(/validityDuration/);
    for (const item of response.body.items.filter((i: { status: string }) => i.status === 'failed')) expect(item.processImportResult).toBeUndefined();

    expect(await summary(byId)).toMatchObject({ active: 10.5, spent: 4.5 });
    expect(await summary(byEmail)).toMatchObject({ active: 9, spent: 2, earned: 11 });
    const listed = await engine.http().get(`/api/DEFAULT/points/transfer?customerId=${byEmail}&type=adding&sort=value&direction=desc`).set(auth()).expect(200);
    const tenDays = listed.body.transfers[0];
    expect(tenDays.value).toBe(10);
    // validityDuration 7: expires 7 days after it was added
    expect(Date.parse(tenDays.expiresAt) - Date.parse(tenDays.createdAt)).toBe(7 * 86_400_000);
  });

  it('refuses a billion-laughs document with 400 and writes nothing', async () => {
    const before = await engine.infrastructure.eventStore.headPosition();
    const response = await upload(billionLaughsXml()).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, errors: [{ field: 'file[file]', message: expect.stringMatching(/DOCTYPE/) }] });
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(before);
  });

  it('refuses an external entity with 400 and writes nothing', async () => {
    const before = await engine.infrastructure.eventStore.headPosition();
    const response = await upload(externalEntityXml(randomUUID())).expect(400);
    expect(response.body.errors[0]).toMatchObject({ field: 'file[file]', message: expect.stringMatching(/DOCTYPE/) });
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(before);
  });

  it('refuses a document that breaks off after good items, writing none of them', async () => {
    const before = await engine.infrastructure.eventStore.headPosition();
    const good = pointsTransfersXml([{ customerId: randomUUID(), points: '1', type: 'adding' }]).replace('</pointsTransfers>\n', '');
    const response = await upload(`${good}<pointsTransfer><points>1</poin`).expect(400);
    expect(response.body.errors[0]).toMatchObject({ field: 'file[file]', message: expect.stringMatching(/malformed/) });
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(before);
  });

  it('refuses a wrong root, an undeclared entity and a missing file with 400 and per-field messages', async () => {
    const before = await engine.infrastructure.eventStore.headPosition();
    expect((await upload('<transfers><pointsTransfer/></transfers>').expect(400)).body.errors[0].message).toMatch(/root element/);
    expect((await upload('<pointsTransfers><pointsTransfer><comment>&boom;</comment></pointsTransfer></pointsTransfers>').expect(400)).body.errors[0].field).toBe('file[file]');
    expect((await upload('').expect(400)).body.errors[0].field).toBe('file[file]');
    const noFile = await engine.http().post('/api/DEFAULT/points/transfer/import').set(auth()).field('other', 'x').expect(400);
    expect(noFile.body).toMatchObject({ statusCode: 400, errors: [{ field: 'file[file]' }] });
    const broken = await engine
      .http()
      .post('/api/DEFAULT/points/transfer/import')
      .set(auth())
      .set('Content-Type', 'multipart/form-data')
      .send('--x\r\nContent-Disposition: form-data; name="file[file]"; filename="p.xml"\r\n\r\n<pointsTransfers/>')
      .expect(400);
    expect(broken.body.errors[0].field).toBe('file[file]');
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(before);
  });

  it('a keyed answer of several parts with multi-byte characters replays byte for byte', async () => {
    // every item names an unknown e-mail with Japanese and Polish letters: failed items echo it twice (identifier, message)
    const tag = randomUUID().slice(0, 8);
    const xml = pointsTransfersXml(Array.from({ length: 3000 }, (_, i) => ({ customerEmail: `漢字かな交じり文-zażółć-${tag}-${i}@example.com`, points: '1', type: 'adding' })));
    const key = randomUUID();
    const send = () => upload(xml).set('Idempotency-Key', key).expect(200);
    const first = await send();
    expect(first.body).toMatchObject({ totalProcessed: 3000, totalSuccess: 0, totalFailed: 3000 });
    expect(first.body.items[7]).toEqual({
      status: 'failed',
      identifier: `漢字かな交じり文-zażółć-${tag}-7@example.com/(adding 1)`,
      message: `no customer with email 漢字かな交じり文-zażółć-${tag}-7@example.com in store DEFAULT`,
    });
    expect(Buffer.byteLength(first.text)).toBeGreaterThan(2 * 256 * 1024);
    const replay = await send();
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.text).toBe(first.text);
  });

  it('the same Idempotency-Key with another file is refused with 409 and changes nothing; with the same file it replays', async () => {
    const customer = randomUUID();
    const key = randomUUID();
    const first = pointsTransfersXml([{ customerId: customer, points: '5', type: 'adding' }]);
    const answered = await upload(first).set('Idempotency-Key', key).expect(200);
    expect(answered.body).toMatchObject({ totalProcessed: 1, totalSuccess: 1 });
    const head = await engine.infrastructure.eventStore.headPosition();

    // one byte apart: 6 points instead of 5
    const other = await upload(pointsTransfersXml([{ customerId: customer, points: '6', type: 'adding' }])).set('Idempotency-Key', key);
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ statusCode: 409, code: 'idempotency_key_reused' });
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);

    const replay = await upload(first).set('Idempotency-Key', key).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.text).toBe(answered.text);
    expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);
    expect((await summary(customer)).active).toBe(5);
  });

  it('imports 5,000 items streamed from a file; the same Idempotency-Key replays the answer and stores nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-fixture-'));
    try {
      const customers = Array.from({ length: 50 }, () => randomUUID());
      const file = join(dir, 'points.xml');
      await writeLargeImportFile(file, 5000, customers);
      const key = randomUUID();
      const importKeyed = () => engine.http().post('/api/DEFAULT/points/transfer/import').set(auth()).set('Idempotency-Key', key).attach('file[file]', file).expect(200);
      const response = await importKeyed();
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({ totalProcessed: 5000, totalSuccess: 5000, totalFailed: 0 });
      // the answer has the seed's shape, key for key and in order
      expect(Object.keys(response.body)).toEqual(['items', 'totalProcessed', 'totalSuccess', 'totalFailed']);
      expect(response.body.items).toHaveLength(5000);
      expect(Object.keys(response.body.items[0])).toEqual(['status', 'processImportResult', 'identifier']);
      expect(response.body.items[0].identifier).toBe(`${customers[0]}/(adding 1)`);
      expect(new Set(response.body.items.map((item: { processImportResult: { object: { pointsTransferId: string } } }) => item.processImportResult.object.pointsTransferId)).size).toBe(5000);

      // ~700 KB of answer: stored in several parts, replayed byte for byte
      const head = await engine.infrastructure.eventStore.headPosition();
      const replay = await importKeyed();
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers['content-type']).toMatch(/^application\/json/);
      expect(replay.text).toBe(response.text);
      const stored = await engine.infrastructure.eventStore.readStream(IdempotencyGuard.streamFor(TEST_TENANT, key));
      expect(stored.filter((event) => event.type === 'IdempotentResponsePart').length).toBeGreaterThan(1);
      expect(await engine.infrastructure.eventStore.headPosition()).toBe(head);
      // item i adds 1 + (i % 50) points to customers[i % 50]: each customer gets 100 items of the same size
      const first = await summary(customers[0]);
      expect(first.active).toBe(100);
      const last = await summary(customers[49]);
      expect(last.active).toBe(5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
