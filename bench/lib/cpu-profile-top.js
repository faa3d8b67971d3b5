'use strict';
/**
 * Top frames of a V8 .cpuprofile (from `node --cpu-prof`, e.g. BENCH_CPU_PROF=1):
 * self time per function, and inclusive time per function (each sample counted once per function).
 *   node bench/lib/cpu-profile-top.js <file.cpuprofile> [count]
 */
const fs = require('node:fs');
const path = require('node:path');

function top(file, count = 25) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const f = n.callFrame;
    const url = f.url ? path.relative(process.cwd(), f.url.replace(/^file:\/\//, '')) : '';
    return `${f.functionName || '(anonymous)'} ${url}${url ? `:${f.lineNumber + 1}` : ''}`;
  };
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  for (const [id, count_] of hits) {
    total += count_;
    const key = label(nodes.get(id));
    self.set(key, (self.get(key) ?? 0) + count_);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const k = label(nodes.get(at));
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + count_);
    }
  }
  const print = (title, map) => {
    console.log(`\n${title}`);
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .forEach(([k, v]) => console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`));
  };
  print(`self time (${total} samples)`, self);
  print('inclusive time', inclusive);
}

if (require.main === module) {
  if (!process.argv[2]) {
    console.error('usage: node bench/lib/cpu-profile-top.js <file.cpuprofile> [count]');
    process.exit(2);
  }
  top(process.argv[2], Number(process.argv[3] ?? 25));
}

module.exports = { top };
