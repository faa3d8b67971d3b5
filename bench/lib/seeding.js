'use strict';
/**
 * Seeded data sets for the queries and replay scenarios. `ensureSeed(dir, size)` seeds
 * `dir/loyalty.db` through bench/lib/seed.ts (the event store port) unless `dir/seed.json`
 * says the same size is already there; run-all shares one seed between scenarios
 * (BENCH_SHARED_SEED), a scenario run alone seeds its own temp folder.
 */
const fs = require('node:fs');
const path = require('node:path');
const { TS_NODE_ARGS, runChild, scaled } = require('./common');
const { tempDir } = require('./engine');

function seedSize() {
  return { transfers: scaled(1_000_000, 1000), customers: scaled(100_000, 100) };
}

/** Returns { dir, dbPath, seed, reused, owned } */
async function ensureSeed(label) {
  const size = seedSize();
  const shared = process.env.BENCH_SHARED_SEED;
  const dir = shared || tempDir(label);
  fs.mkdirSync(dir, { recursive: true });
  const dbPath = path.join(dir, 'loyalty.db');
  const marker = path.join(dir, 'seed.json');
  if (fs.existsSync(marker)) {
    const seed = JSON.parse(fs.readFileSync(marker, 'utf8'));
    if (seed.transfers === size.transfers && seed.customers === size.customers) {
      console.log(`using the seeded data in ${dir} (${seed.transfers} transfers over ${seed.customers} customers)`);
      return { dir, dbPath, seed, reused: true, owned: !shared };
    }
    for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  console.log(`seeding ${size.transfers} transfers over ${size.customers} customers into ${dbPath}`);
  const out = await runChild(process.execPath, [
    ...TS_NODE_ARGS,
    path.join(__dirname, 'seed.ts'),
    '--db',
    dbPath,
    '--transfers',
    String(size.transfers),
    '--customers',
    String(size.customers),
  ]);
  const seed = JSON.parse(out.trim().split('\n').pop());
  seed.dbMB = Math.round(fs.statSync(dbPath).size / 1024 / 1024);
  fs.writeFileSync(marker, JSON.stringify(seed, null, 2));
  return { dir, dbPath, seed, reused: false, owned: !shared };
}

module.exports = { ensureSeed, seedSize };
