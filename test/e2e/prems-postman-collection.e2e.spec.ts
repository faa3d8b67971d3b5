import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientService } from '@app/auth';
import { ConfigError, CustomerRegistry, loadConfig, PointsQueries } from '@app/engine';
import { ApiApp, createApiApp } from '../../apps/api/src/app';
import { premsCollection } from '../support/prems-seed';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../support/engine';

/** The slice of newman's Node API this suite uses (the package ships no types). */
interface NewmanSummary {
  run: {
    failures: { error: { message: string }; source?: { name?: string } }[];
    executions: { item: { name: string }; response?: { code: number }; requestError?: { message: string } }[];
  };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const newman = require('newman') as {
  run(options: Record<string, unknown>, callback: (error: Error | null, summary: NewmanSummary) => void): unknown;
};

const SEED_CUSTOMER_ID = '019685763d44731cb4ac5938f107993e';
const TENANT = 'default';
const STORE = 'DEFAULT';

/** Runs a Postman collection with newman, as an integrator would, and hands back its summary. */
function runCollection(options: Record<string, unknown>): Promise<NewmanSummary> {
  return new Promise((resolve, reject) => {
    newman.run({ reporters: [], ...options }, (error, summary) => (error ? reject(error) : resolve(summary)));
  });
}

describe('the Prems Postman collection, unchanged, against the engine over HTTPS', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let api: ApiApp;
  let port: number;

  const engineEnv = (dataDir: string, tls: Record<string, string>) => ({
    ...process.env,
    LOYALTY_PROFILE: 'embedded',
    LOYALTY_DATA_DIR: dataDir,
    LOYALTY_BOOTSTRAP_CLIENT_ID: TEST_CLIENT_ID,
    LOYALTY_BOOTSTRAP_CLIENT_SECRET: TEST_CLIENT_SECRET,
    LOYALTY_SCHEDULER_INTERVAL_MS: '3600000',
    ...tls,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loyalty-prems-tls-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    // a certificate made for this run only: nothing of it is committed
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
    const env = engineEnv(join(dir, 'data'), { LOYALTY_TLS_CERT: cert, LOYALTY_TLS_KEY: key });
    api = await createApiApp(loadConfig(env), { env, logger: ['error'] });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    port = (api.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await api?.app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with the configured certificate', async () => {
    const peer = await new Promise<string>((resolve, reject) => {
      const request = httpsGet({ host: '127.0.0.1', port, path: '/docs/json', rejectUnauthorized: false }, (response) => {
        const certificate = (response.socket as import('node:tls').TLSSocket).getPeerCertificate();
        response.resume();
        resolve(certificate.subject.CN as string);
      });
      request.on('error', reject);
    });
    expect(peer).toBe('127.0.0.1');
  });

  it('every request of the collection passes and the balances move as booked', async () => {
    const clients = api.app.get(ClientService);
    const integration = await clients.createClient(TENANT, ['points:write'], { defaultStore: STORE });
    const customerId = await api.app.get(CustomerRegistry).register({ tenant: TENANT, storeCode: STORE }, undefined, { customerNumber: '10382' });

    const collection = premsCollection();
    const summary = await runCollection({
      collection,
      insecure: true,
      // the collection's own variables, filled in as its document says: host without protocol, the integration's key and secret
      envVar: [
        { key: 'SHOPWARE_DOMAIN', value: `127.0.0.1:${port}` },
        { key: 'SW_ACCESS_KEY', value: integration.clientId },
        { key: 'SW_SECRET_ACCESS_KEY', value: integration.clientSecret },
      ],
    });

    const answers = summary.run.executions.map((execution) => [execution.item.name, execution.response?.code ?? execution.requestError?.message]);
    expect(answers).toEqual(collection.item.map((item) => [item.name, expect.any(Number)]));
    for (const [name, code] of answers) expect([name, (code as number) >= 200 && (code as number) < 300]).toEqual([name, true]);
    expect(summary.run.failures.map((failure) => failure.error.message)).toEqual([]);

    const queries = api.app.get(PointsQueries);
    expect((await queries.summary({ tenant: TENANT, storeCode: STORE, customerId })).available).toBe(500);
    expect((await queries.summary({ tenant: TENANT, storeCode: STORE, customerId: SEED_CUSTOMER_ID })).available).toBe(500);
  });

  it('a certificate path that cannot be read stops the start with a ConfigError naming it', async () => {
    const missing = join(dir, 'missing.pem');
    const env = engineEnv(join(dir, 'data-bad'), { LOYALTY_TLS_CERT: missing, LOYALTY_TLS_KEY: key });
    await expect(createApiApp(loadConfig(env), { env, logger: false })).rejects.toThrow(new ConfigError(`LOYALTY_TLS_CERT: cannot read ${missing} (ENOENT)`));
  });
});
