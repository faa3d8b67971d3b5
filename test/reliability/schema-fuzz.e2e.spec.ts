import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientToken, EngineProcess, spawnEngine } from '../support/engine-process';
import { ensureSchemathesis, runSchemathesis } from './support/schemathesis';
import { reliabilityScale } from './support/scale';

const CONFIG = join(__dirname, 'schemathesis.toml');

/**
 * Schemathesis drives every operation of the served /docs/json (new dialects' routes included, as
 * they appear in the document) with every check: no 5xx, every answer in its own documented schema,
 * schema-valid requests accepted and schema-invalid ones refused, stateful sequences along the links.
 */
/** the paths schemathesis.toml leaves out of the fuzz for now (issue 15): keep the two in step */
const NOT_YET_FUZZED = /^\/(admin\/v2\/customers\/loyalty\/points|external-api\/v1\/customers\/change-points|api\/webhooks.*|api\/events.*|api\/ops\/.*)$/;

describe('schema-driven fuzz of the served OpenAPI document', () => {
  const long = reliabilityScale() === 'long';
  const executable = ensureSchemathesis();
  const maybe = executable ? it : it.skip;
  let dataDir: string;
  let engine: EngineProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'loyalty-fuzz-'));
  });
  afterAll(async () => {
    await engine?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  maybe(
    'finds no server error, no answer outside its schema, no valid request refused and no invalid one accepted',
    async () => {
      // the fuzz sends thousands of requests a minute: the limiter would answer most of them 429
      engine = await spawnEngine(dataDir, { LOYALTY_RATE_LIMIT_PER_MINUTE: '10000000' });
      const token = await clientToken(engine.url);
      const seed = Number(process.env.FUZZ_SEED ?? (long ? Date.now() % 1_000_000 : 20261202));
      const run = await runSchemathesis(executable!, {
        url: engine.url,
        token,
        configFile: CONFIG,
        seed,
        maxExamples: long ? 300 : 10,
      });
      if (run.exitCode !== 0) throw new Error(`schemathesis (seed ${seed}) exited with ${run.exitCode}:\n${run.output}`);
      // every operation the document serves was driven, whichever dialects it holds today, but for those
      // schemathesis.toml names as not yet under the fuzz (NOT_YET_FUZZED below must match it)
      const document = (await (await fetch(`${engine.url}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      const operations = Object.entries(document.paths)
        .filter(([path]) => !NOT_YET_FUZZED.test(path))
        .reduce((sum, [, item]) => sum + Object.keys(item).length, 0);
      expect(run.output).toMatch(new RegExp(`Tested: ${operations}\\b`));
    },
    1_200_000,
  );
});
