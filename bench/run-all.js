'use strict';
/**
 * `npm run bench`: every scenario in its own process, one after the other, then all targets.
 * The queries and replay scenarios share one seeded SQLite file (removed at the end).
 * A scenario that crashes does not stop the others; the exit code is 1 if any crashed, and
 * with BENCH_STRICT=1 also if any target failed.
 */
const fs = require('node:fs');
const path = require('node:path');
const { engineAvailable, ensureBuilt } = require('./lib/engine');
const { RESULTS_DIR, isStopping, machine, startChild, table, tempDir } = require('./lib/common');

const SCENARIOS = ['commands', 'queries', 'replay', 'lag', 'memory'];

async function main() {
  const only = process.argv.slice(2);
  const scenarios = only.length ? SCENARIOS.filter((s) => only.includes(s)) : SCENARIOS;
  const m = machine();
  console.log(`loyalty engine benchmarks: ${m.cores} cores (${m.cpuModel}), ${m.memoryMB} MB, Node ${m.node}, SQLite ${m.sqlite}, commit ${m.gitCommit}, BENCH_SCALE=${m.scale}`);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  // stale results must not be mistaken for this run's
  for (const s of scenarios) fs.rmSync(path.join(RESULTS_DIR, `${s}.json`), { force: true });

  // build the engine once for every scenario (npm start builds too)
  if (scenarios.some((s) => s !== 'memory' && s !== 'replay') && engineAvailable()) await ensureBuilt();
  const seedDir = tempDir('seed');
  const started = performance.now();
  const outcomes = [];
  try {
    for (const scenario of scenarios) {
      if (isStopping()) break;
      console.log(`\n=== ${scenario} ${'='.repeat(60 - scenario.length)}`);
      const t = performance.now();
      const child = startChild(process.execPath, [path.join(__dirname, `${scenario}.js`)], {
        env: { ...process.env, BENCH_SHARED_SEED: seedDir, BENCH_BUILT: process.env.BENCH_BUILT ?? '' },
        stdio: 'inherit',
      });
      const { code, signal } = await child.exited;
      outcomes.push({ scenario, exit: code ?? signal, seconds: (performance.now() - t) / 1000 });
    }
  } finally {
    fs.rmSync(seedDir, { recursive: true, force: true });
  }

  console.log(`\n=== summary ${'='.repeat(53)}`);
  table('scenarios', outcomes.map((o) => ({ scenario: o.scenario, exit: String(o.exit), seconds: o.seconds })));
  const rows = [];
  for (const scenario of scenarios) {
    const file = path.join(RESULTS_DIR, `${scenario}.json`);
    if (!fs.existsSync(file)) continue;
    const result = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const t of result.targets ?? []) rows.push({ scenario, ...t });
  }
  table('targets', rows);
  const failed = rows.filter((r) => r.result !== 'PASS').length;
  console.log(`\n${rows.length - failed} of ${rows.length} targets pass; total ${((performance.now() - started) / 1000).toFixed(0)} s; results in ${path.relative(process.cwd(), RESULTS_DIR)}/`);
  const crashed = outcomes.filter((o) => o.exit !== 0);
  if (crashed.length || (process.env.BENCH_STRICT === '1' && failed)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
