import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { run } from '../../apps/cli/src/main';
import { startTestEngine, TEST_CLIENT_ID, TestEngine } from '../support/engine';

/** Runs the operator CLI in this process against the engine's data folder; what it printed, line by line. */
async function cli(dataDir: string, args: string[]): Promise<string[]> {
  const saved = { profile: process.env.LOYALTY_PROFILE, dir: process.env.LOYALTY_DATA_DIR };
  process.env.LOYALTY_PROFILE = 'embedded';
  process.env.LOYALTY_DATA_DIR = dataDir;
  const printed: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
  try {
    expect(await run(args)).toBe(0);
    return printed;
  } finally {
    log.mockRestore();
    for (const [name, value] of [['LOYALTY_PROFILE', saved.profile], ['LOYALTY_DATA_DIR', saved.dir]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('loyalty clients api-key <clientId>', () => {
  let dataDir: string;
  let engine: TestEngine | undefined;

  afterAll(async () => {
    await engine?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints an API key and secret once; they authenticate the External API over HTTP Basic; a second call refuses and keeps the key', async () => {
    const first = await startTestEngine();
    dataDir = first.dataDir;
    await first.close({ keepData: true });

    const printed = await cli(dataDir, ['clients', 'api-key', TEST_CLIENT_ID]);
    const apiKey = printed.find((line) => line.startsWith('api_key='))?.slice('api_key='.length);
    const apiSecret = printed.find((line) => line.startsWith('api_secret='))?.slice('api_secret='.length);
    expect(apiKey).toMatch(/^ak_/);
    expect(apiSecret).toEqual(expect.any(String));

    await expect(cli(dataDir, ['clients', 'api-key', TEST_CLIENT_ID])).rejects.toThrow(`client ${TEST_CLIENT_ID} already has API key ${apiKey}`);
    await expect(cli(dataDir, ['clients', 'api-key', 'no-such-client'])).rejects.toThrow('client no-such-client not found');

    engine = await startTestEngine({ dataDir });
    const customerId = randomUUID();
    const response = await engine
      .http()
      .post('/external-api/v1/customers/change-points')
      .auth(apiKey as string, apiSecret as string)
      .send({ CustomerId: customerId, Amount: 10, OperationType: 0, Reason: 'cli key', ChangeKey: randomUUID() })
      .expect(200);
    expect(response.body).toMatchObject({ CodeName: 'Success', Result: { Balance: 10 } });
  });
});
