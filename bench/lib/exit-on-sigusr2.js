'use strict';
// Preloaded into the engine only when profiling (BENCH_CPU_PROF=1): `node --cpu-prof` writes its
// profile on a normal exit, which SIGTERM through Nest's shutdown hooks is not. SIGUSR2 exits normally.
process.on('SIGUSR2', () => process.exit(0));
