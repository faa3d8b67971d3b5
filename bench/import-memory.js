'use strict';
/**
 * Import memory: a 100,000-item Open Loyalty XML file (BENCH_IMPORT_ITEMS to change) uploaded to
 * POST /api/DEFAULT/points/transfer/import of the engine started as a user starts it. Prints
 * items/s and the engine's peak RSS (VmHWM, sampled every 250 ms); target < 300 MB.
 * The engine is stopped on exit, also on failure.
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { once } = require('node:events');
const { printTargets, table, target, writeResult } = require('./lib/common');
const { STORE, removeDir, startEngine, tempDir } = require('./lib/engine');

const ITEMS = Number(process.env.BENCH_IMPORT_ITEMS ?? 100_000);
const CUSTOMERS = 2_000;
const TARGET_MB = 300;

/**
 * What the engine's RSS is made of at its highest sample: RssAnon (V8 heap, malloc: SQLite,
 * buffers) and RssFile (mapped code of node itself, constant), from /proc/<pid>/status.
 */
function rssBreakdown(pid, everyMs = 250) {
  let atPeak = { rssMB: 0, anonMB: 0, fileMB: 0 };
  const sample = () => {
    let status;
    try {
      status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return;
    }
    const mb = (field) => Math.round((Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) / 1024) * 10) / 10;
    const now = { rssMB: mb('VmRSS'), anonMB: mb('RssAnon'), fileMB: mb('RssFile') };
    if (now.rssMB > atPeak.rssMB) atPeak = now;
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return { atPeak: () => (sample(), clearInterval(timer), atPeak) };
}

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

/**
 * POSTs `file` as multipart field `field`, streamed from disk, with node:http: unlike fetch it has
 * no headers timeout (undici's 300 s), and the answer only starts once every item is applied,
 * which on a busy 2-core machine can take longer than that.
 */
function uploadMultipart(url, headers, field, file) {
  const boundary = `----bench${Date.now().toString(16)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="points.xml"\r\nContent-Type: application/xml\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + fs.statSync(file).size + tail.length },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.write(head);
    const body = fs.createReadStream(file);
    body.on('error', reject);
    body.on('end', () => request.end(tail));
    body.pipe(request, { end: false });
  });
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
    const breakdown = rssBreakdown(engine.pid);

    const started = performance.now();
    const response = await uploadMultipart(`${engine.url}/api/${STORE}/points/transfer/import`, engine.headers, 'file[file]', file);
    const text = response.text;
    const seconds = (performance.now() - started) / 1000;
    if (response.status !== 200) throw new Error(`import: HTTP ${response.status}: ${text.slice(0, 500)}`);
    const body = JSON.parse(text);
    const peakMB = engine.memory.peakMB();
    const { anonMB: rssAnonMB, fileMB: rssFileMB } = breakdown.atPeak();
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
        'anon MB at peak': rssAnonMB,
        'file MB at peak': rssFileMB,
      },
    ]);
    const failedSample = body.items.find((item) => item.status !== 'success');
    if (failedSample) console.log('first failed item:', JSON.stringify(failedSample));
    const targets = [
      target('import: every item processed', body.totalProcessed, '>=', ITEMS),
      target('import: engine peak RSS', peakMB, '<=', TARGET_MB, ' MB'),
    ];
    printTargets(targets);
    writeResult('import-memory', { engineNodeOptions: nodeOptions ?? null, items: ITEMS, fileMB, seconds, itemsPerSecond, idleMB, peakMB, rssAnonMBAtPeak: rssAnonMB, rssFileMBAtPeak: rssFileMB, totalSuccess: body.totalSuccess, totalFailed: body.totalFailed, targets });
  } finally {
    if (engine) await engine.stop();
    removeDir(dir);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
