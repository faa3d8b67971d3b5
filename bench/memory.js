'use strict';
/**
 * Scenario 5, memory: peak resident set (VmHWM from /proc/<pid>/status, sampled every 250 ms
 * and read once more at stop) of the engine process in scenarios 1-4, from their results files.
 * Run it after them (run-all does). The target is judged on the largest engine peak, which is
 * the queries scenario's engine (1M transfers, projections catching up) unless another is higher.
 */
const { printTargets, readResult, table, target, writeResult } = require('./lib/common');

function main() {
  const commands = readResult('commands');
  const queries = readResult('queries');
  const replay = readResult('replay');
  const lag = readResult('lag');
  const rows = [
    { scenario: '1 commands', process: 'engine', 'peak RSS MB': commands?.engine?.peakRssMB, note: commands ? `${commands.add?.requests + commands.warmup?.requests} adds, ${commands.spend?.requests} spends` : 'no results' },
    { scenario: '1 commands', process: 'baseline (bare http)', 'peak RSS MB': commands?.baseline?.peakRssMB },
    {
      scenario: '2 queries',
      process: 'engine',
      'peak RSS MB': queries?.engine?.peakRssMB,
      note: queries?.seed ? `${queries.seed.transfers} transfers; catch-up peak ${queries.catchUp?.peakRssMB} MB` : 'no results',
    },
    { scenario: '3 replay', process: 'rebuild (ProjectionRunner, no HTTP)', 'peak RSS MB': replay?.process?.peakRssMB, note: replay ? `${replay.events} events` : 'no results' },
    { scenario: '4 lag', process: 'engine', 'peak RSS MB': lag?.engine?.peakRssMB, note: lag ? '' : 'no results' },
  ];
  table('peak RSS', rows);
  const engines = [commands?.engine?.peakRssMB, queries?.engine?.peakRssMB, lag?.engine?.peakRssMB].filter((v) => typeof v === 'number');
  const peak = engines.length ? Math.max(...engines) : undefined;
  const transfers = queries?.seed?.transfers;
  const targets = [
    target(`engine peak RSS (max of 1, 2, 4${transfers ? `; ${transfers} transfers in 2` : ''})`, peak, '<=', 512, ' MB', queries?.seed ? undefined : 'queries scenario has no results'),
  ];
  printTargets(targets);
  writeResult('memory', { rows, enginePeakRssMB: peak, targets });
}

main();
