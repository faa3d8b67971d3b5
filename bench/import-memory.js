'use strict';
/**
 * Import memory: a 100,000-item Open Loyalty XML file (BENCH_IMPORT_ITEMS to change) uploaded to
 * POST /api/DEFAULT/points/transfer/import of the engine started as a user starts it. Prints
 * items/s and the engine's peak RSS (VmHWM, sampled every 250 ms); target < 300 MB.
 * The engine is stopped on exit, also on failure.
 */
const fs = require('node:fs');
const path = require('node:path');
const { once } = require('node:events');
const { printTargets, table, target, writeResult } = require('./lib/common');
const { STORE, removeDir, startEngine, tempDir } = require('./lib/engine');

const ITEMS = Number(process.env.BENCH_IMPORT_ITEMS ?? 100_000);
const CUSTOMERS = 2_000;
const TARGET_MB = 300;

const customerId = (n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** Streams the document to disk: every 10th item spends what the item before it added. */
async function writeImportFile(file, count) {
  const out = fs.createWriteStream(file);
  const write = async (text) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('<?xml version="1.0" encoding="UTF-8"?>\n<pointsTransfers>\n');
  for (let i = 0; i < count; i++) {
    const spending = i % 10 === 9;
    const customer = customerId((spending ? i - 1 : i) % CUSTOMERS);
    await write(
      `  <pointsTransfer><customerId>${customer}</customerId><points>${spending ? 1 : 5 + (i % 20)}</points>` +
        `<type>${spending ? 'spending' : 'adding'}</type>${spending ? '' : '<validityDuration>365</validityDuration>'}<comment>bench item ${i}</comment></pointsTransfer>\n`,
    );
  }
  await write('</pointsTransfers>\n');
  out.end();
  await once(out, 'finish');
}

async function main() {
  const dir = tempDir('import');
  const file = path.join(dir, 'points.xml');
  let engine;
  try {
    await writeImportFile(file, ITEMS);
    const fileMB = fs.statSync(file).size / 1024 / 1024;
    // BENCH_ENGINE_NODE_OPTIONS (e.g. --max-old-space-size=160) shows how much of the peak is uncollected garbage
    const nodeOptions = process.env.BENCH_ENGINE_NODE_OPTIONS;
    engine = await startEngine({ dataDir: path.join(dir, 'data'), label: 'import-engine', env: nodeOptions ? { NODE_OPTIONS: nodeOptions } : {} });
    const idleMB = engine.memory.peakMB();

    const form = new FormData();
    // a file-backed Blob: the harness streams the upload instead of holding it
    form.append('file[file]', await fs.openAsBlob(file, { type: 'application/xml' }), 'points.xml');
    const started = performance.now();
    const response = await fetch(`${engine.url}/api/${STORE}/points/transfer/import`, { method: 'POST', headers: engine.headers, body: form });
    const text = await response.text();
    const seconds = (performance.now() - started) / 1000;
    if (response.status !== 200) throw new Error(`import: HTTP ${response.status}: ${text.slice(0, 500)}`);
    const body = JSON.parse(text);
    const peakMB = engine.memory.peakMB();
    const itemsPerSecond = body.totalProcessed / seconds;

    table('import', [
      {
        items: ITEMS,
        'file MB': Math.round(fileMB * 10) / 10,
        processed: body.totalProcessed,
        success: body.totalSuccess,
        failed: body.totalFailed,
        seconds: Math.round(seconds * 10) / 10,
        'items/s': Math.round(itemsPerSecond),
        'response MB': Math.round((text.length / 1024 / 1024) * 10) / 10,
        'idle RSS MB': idleMB,
        'peak RSS MB': peakMB,
      },
    ]);
    const failedSample = body.items.find((item) => item.status !== 'success');
    if (failedSample) console.log('first failed item:', JSON.stringify(failedSample));
    const targets = [
      target('import: every item processed', body.totalProcessed, '>=', ITEMS),
      target('import: engine peak RSS', peakMB, '<=', TARGET_MB, ' MB'),
    ];
    printTargets(targets);
    writeResult('import-memory', { engineNodeOptions: nodeOptions ?? null, items: ITEMS, fileMB, seconds, itemsPerSecond, idleMB, peakMB, totalSuccess: body.totalSuccess, totalFailed: body.totalFailed, targets });
  } finally {
    if (engine) await engine.stop();
    removeDir(dir);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
