/**
 * One keyed points command in its own process, through the engine's idempotency path as the HTTP
 * layer drives it (IdempotencyGuard.run, the key's scope and takeover flag in the request context),
 * so a test can SIGKILL it between the command's append and its answer. Prints "appended" when the
 * command's events are stored, then, unless killed, the outcome as one JSON line.
 * Usage: node -r ts-node/register/transpile-only -r tsconfig-paths/register keyed-command-process.ts '<json>'
 */
import { NestFactory } from '@nestjs/core';
import { join } from 'node:path';
import { EngineModule, IdempotencyGuard, IdempotentOutcome, openInfrastructure, PointsService, requestHash, runInContext } from '@app/engine';
import type { EngineConfig } from '@app/engine';
import { LedgerError, systemClock } from '@app/ledger';

export interface KeyedCommand {
  dataDir: string;
  tenant: string;
  key: string;
  customerId: string;
  action: 'add' | 'spend';
  /** hundredths */
  points: number;
  /** a claim older than this is taken over (the engine's default is 30 s) */
  leaseMs: number;
  /** sleep after the command's events are stored and before answering: the window a test kills in */
  pauseAfterAppendMs: number;
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]) as KeyedCommand;
  const config: EngineConfig = {
    profile: 'embedded',
    dataDir: request.dataDir,
    sqlitePath: join(request.dataDir, 'loyalty.db'),
    mongoDatabase: 'loyalty',
    host: '127.0.0.1',
    port: 0,
    schedulerIntervalMs: 3_600_000,
    runProjector: false,
    runScheduler: false,
    bodyLimitBytes: 1_048_576,
  };
  const infrastructure = await openInfrastructure(config);
  const app = await NestFactory.createApplicationContext(EngineModule.forRoot({ config, infrastructure }), { logger: false });
  await app.init();
  const points = app.get(PointsService);
  const guard = new IdempotencyGuard(infrastructure.eventStore, systemClock, { leaseMs: request.leaseMs });
  const account = { tenant: request.tenant, storeCode: 'main', customerId: request.customerId };
  const hash = requestHash([request.action, request.customerId, request.points]);
  const result = await guard.run(request.tenant, request.key, hash, (scope, takeover) =>
    runInContext({ issuer: 'api', actor: 'crash-test', idempotencyKey: request.key, idempotencyScope: scope, idempotencyTakeover: takeover }, async (): Promise<IdempotentOutcome> => {
      try {
        const answer = request.action === 'add' ? await points.addPoints(account, request.points) : await points.spendPoints(account, request.points);
        process.stdout.write('appended\n');
        if (request.pauseAfterAppendMs > 0) await new Promise((resolve) => setTimeout(resolve, request.pauseAfterAppendMs));
        return { status: 200, body: answer };
      } catch (error) {
        // as the HTTP layer does: a business refusal is the request's answer
        if (error instanceof LedgerError) return { status: 422, body: { code: error.code } };
        throw error;
      }
    }),
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await app.close();
}

void main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
