import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, loadTlsCredentials } from './config';

const distributed = { LOYALTY_PROFILE: 'distributed', MONGODB_URI: 'mongodb://127.0.0.1:27017/' };

describe('loadConfig: the distributed profile event store', () => {
  it('stays on EventStoreDB when LOYALTY_EVENT_STORE is not set', () => {
    const config = loadConfig({ ...distributed, EVENTSTORE_CONNECTION_STRING: 'esdb://127.0.0.1:2113?tls=false' });

    expect(config.eventStore).toBe('eventstoredb');
  });

  it('takes PostgreSQL from LOYALTY_EVENT_STORE=postgres and DATABASE_URL, in the loyalty schema unless told otherwise', () => {
    const config = loadConfig({ ...distributed, LOYALTY_EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://loyalty:secret@db:5432/loyalty' });

    expect(config).toMatchObject({ eventStore: 'postgres', databaseUrl: 'postgres://loyalty:secret@db:5432/loyalty', postgresSchema: 'loyalty' });
  });

  it.each([
    [{ LOYALTY_EVENT_STORE: 'mysql' }, 'LOYALTY_EVENT_STORE must be "eventstoredb" or "postgres", got "mysql"'],
    [{ LOYALTY_EVENT_STORE: 'postgres' }, 'needs DATABASE_URL'],
    [{ LOYALTY_EVENT_STORE: 'postgres', DATABASE_URL: 'db:5432' }, 'DATABASE_URL must start with postgres:// or postgresql://, got db://'],
    [{ LOYALTY_EVENT_STORE: 'postgres', DATABASE_URL: 'not a url' }, 'DATABASE_URL is not a URL'],
    [{ LOYALTY_EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://db/loyalty', LOYALTY_POSTGRES_SCHEMA: 'Loyalty-1' }, 'LOYALTY_POSTGRES_SCHEMA'],
    [{}, 'needs EVENTSTORE_CONNECTION_STRING (or LOYALTY_EVENT_STORE=postgres with DATABASE_URL)'],
  ])('refuses %j with a ConfigError naming the variable', (env, message) => {
    expect(() => loadConfig({ ...distributed, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...distributed, ...env })).toThrow(message);
  });

  it('does not repeat a DATABASE_URL it cannot parse, since it may hold a password', () => {
    expect(() => loadConfig({ ...distributed, LOYALTY_EVENT_STORE: 'postgres', DATABASE_URL: 'user:s3cret@@db' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });

  it('refuses LOYALTY_EVENT_STORE in the embedded profile, whose events live in SQLite', () => {
    expect(() => loadConfig({ LOYALTY_EVENT_STORE: 'postgres' })).toThrow(ConfigError);
  });
});

describe('engine configuration from the environment', () => {
  it('an XML import may be 256 MiB unless LOYALTY_IMPORT_MAX_BYTES says otherwise', () => {
    expect(loadConfig({}).importMaxBytes).toBe(256 * 1024 * 1024);
    expect(loadConfig({ LOYALTY_IMPORT_MAX_BYTES: '1048576' }).importMaxBytes).toBe(1_048_576);
    expect(() => loadConfig({ LOYALTY_IMPORT_MAX_BYTES: '10MB' })).toThrow(ConfigError);
  });
});

describe('loadConfig and loadTlsCredentials: HTTPS', () => {
  let dir: string;
  let cert: string;
  let key: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loyalty-tls-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves plain HTTP unless both variables are set', () => {
    expect(loadConfig({}).tls).toBeUndefined();
    expect(loadConfig({ LOYALTY_TLS_CERT: cert, LOYALTY_TLS_KEY: key }).tls).toEqual({ certPath: cert, keyPath: key });
    expect(() => loadConfig({ LOYALTY_TLS_CERT: cert })).toThrow('needs both LOYALTY_TLS_CERT and LOYALTY_TLS_KEY');
    expect(() => loadConfig({ LOYALTY_TLS_KEY: key })).toThrow(ConfigError);
  });

  it('reads a PEM certificate and its key', () => {
    const credentials = loadTlsCredentials({ certPath: cert, keyPath: key });
    expect(credentials.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(credentials.key.toString()).toContain('PRIVATE KEY');
  });

  it('a path that cannot be read is a ConfigError naming the variable and the path', () => {
    const missing = join(dir, 'nowhere.pem');
    expect(() => loadTlsCredentials({ certPath: missing, keyPath: key })).toThrow(`LOYALTY_TLS_CERT: cannot read ${missing} (ENOENT)`);
    expect(() => loadTlsCredentials({ certPath: cert, keyPath: missing })).toThrow(`LOYALTY_TLS_KEY: cannot read ${missing} (ENOENT)`);
  });

  it('files that are not a certificate and its key are a ConfigError, not a crash at listen', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(() => loadTlsCredentials({ certPath: junk, keyPath: key })).toThrow(ConfigError);
    // a certificate given as the key
    expect(() => loadTlsCredentials({ certPath: cert, keyPath: cert })).toThrow('are not a PEM certificate and its private key');
  });
});

describe('loadConfig: where background work runs', () => {
  const postgres = { ...distributed, LOYALTY_EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://loyalty:secret@db:5432/loyalty' };
  const placement = (config: ReturnType<typeof loadConfig>) => [config.runProjector, config.runConsumers, config.runScheduler];

  it('the embedded API runs projections, consumers and the scheduler itself, and reads wait for its own appends', () => {
    const config = loadConfig({});

    expect(placement(config)).toEqual([true, true, true]);
    expect(config.readsWaitFor).toBe('own-appends');
  });

  it('a distributed API replica runs none of them, and its reads wait for the event store head', () => {
    const config = loadConfig(postgres);

    expect(placement(config)).toEqual([false, false, false]);
    expect(config.readsWaitFor).toBe('head');
  });

  it('the projector runs all three in either profile', () => {
    expect(placement(loadConfig(postgres, 'projector'))).toEqual([true, true, true]);
    expect(placement(loadConfig({}, 'projector'))).toEqual([true, true, true]);
  });

  it('each can be switched on its own, and a scheduler lease under a second is refused', () => {
    expect(placement(loadConfig({ ...postgres, LOYALTY_RUN_SCHEDULER: 'true' }))).toEqual([false, false, true]);
    expect(placement(loadConfig({ LOYALTY_RUN_CONSUMERS: 'false' }))).toEqual([true, false, true]);
    expect(() => loadConfig({ LOYALTY_SCHEDULER_LEASE_MS: '500' })).toThrow('LOYALTY_SCHEDULER_LEASE_MS must be at least 1000');
  });
});
