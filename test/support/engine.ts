import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EngineConfig, loadConfig } from '@app/engine';
import type { Clock } from '@app/ledger';
import { ApiApp, createApiApp } from '../../apps/api/src/app';

export const TEST_CLIENT_ID = 'e2e-client';
export const TEST_CLIENT_SECRET = 'e2e-client-secret-0123456789';
export const TEST_STORE = 'DEFAULT';
export const TEST_TENANT = 'default';

export interface TestEngine extends ApiApp {
  config: EngineConfig;
  dataDir: string;
  http: () => ReturnType<typeof request>;
  /** a bearer token of the bootstrap client (every scope) */
  token: string;
  /** mints a new token (after a test moved the clock past the old one's expiry) */
  refreshToken(): Promise<string>;
  /** stops the app; `keepData` leaves the SQLite file for a restart */
  close(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * The real engine, embedded profile, on a fresh SQLite file in a temp folder, over real HTTP
 * (supertest against the Fastify server). `dataDir` reopens an existing one (a restart).
 */
export async function startTestEngine(options: { clock?: Clock; dataDir?: string; env?: Record<string, string> } = {}): Promise<TestEngine> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'loyalty-e2e-'));
  const env = {
    ...process.env,
    LOYALTY_PROFILE: 'embedded',
    LOYALTY_DATA_DIR: dataDir,
    LOYALTY_BOOTSTRAP_CLIENT_ID: TEST_CLIENT_ID,
    LOYALTY_BOOTSTRAP_CLIENT_SECRET: TEST_CLIENT_SECRET,
    LOYALTY_SCHEDULER_INTERVAL_MS: '3600000',
    ...options.env,
  };
  const config = loadConfig(env);
  const api = await createApiApp(config, { clock: options.clock, env, logger: ['error'] });
  const server = api.app.getHttpServer();
  const http = () => request(server);
  const mint = async (): Promise<string> => {
    const response = await http()
      .post('/api/oauth/token')
      .send({ grant_type: 'client_credentials', client_id: TEST_CLIENT_ID, client_secret: TEST_CLIENT_SECRET })
      .expect(200);
    return response.body.access_token as string;
  };
  const engine: TestEngine = {
    ...api,
    config,
    dataDir,
    http,
    token: await mint(),
    refreshToken: async () => (engine.token = await mint()),
    close: async ({ keepData = false } = {}) => {
      await api.app.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return engine;
}

export type App = NestFastifyApplication;
