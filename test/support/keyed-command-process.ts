/**
 * One keyed points command in its own process, through the engine's idempotency path as the HTTP
 * layer drives it (IdempotencyGuard.run, the key's scope and takeover flag in the request context),
 * so a test can SIGKILL it between the command's append and its answer. Prints "appended" when the
 * command's events are stored, then, unless killed, the outcome as one JSON line.
 * Two more steps serve the p2p crash test: 'p2p-send' stores only the sender's half of a transfer
 * to `receiverId` (what a crash between the halves leaves), and 'p2p-recover' starts the engine's
 * workers, waits until the receiver is credited, then delivers the sender's event once more, as an
 * at-least-once subscription does after a crash before its checkpoint.
 * Usage: node -r ts-node/register/transpile-only -r tsconfig-paths/register keyed-command-process.ts '<json>'
 */
import { NestFactory } from '@nestjs/core';
import { join } from 'node:path';
import { EngineModule, IdempotencyGuard, IdempotentOutcome, openInfrastructure, PointsService, requestHash, runInContext } from '@app/engine';
import { loadConfig, type EngineConfig } from '@app/engine';
import { AccountKey, LedgerError, pointsAccountStream, PointsSpent, systemClock } from '@app/ledger';
import { randomUUID } from 'node:crypto';

export interface KeyedCommand {
  dataDir: string;
  tenant: string;
  key: string;
  customerId: string;
  action: 'add' | 'spend' | 'p2p-send' | 'p2p-recover';
  /** p2p only: the customer credited */
  receiverId?: string;
  /** hundredths */
  points: number;
  /** a claim older than this is taken over (the engine's default is 30 s) */
  leaseMs: number;
  /** sleep after the command's events are stored and before answering: the window a test kills in */
  pauseAfterAppendMs: number;
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]) as KeyedCommand;
  // the engine's own defaults for every other setting, as `npm start` would read them
  const config: EngineConfig = { ...loadConfig({ LOYALTY_DATA_DIR: request.dataDir }), schedulerIntervalMs: 3_600_000, runProjector: false, runScheduler: request.action === 'p2p-recover' };
  const infrastructure = await openInfrastructure(config);
  const app = await NestFactory.createApplicationContext(EngineModule.forRoot({ config, infrastructure }), { logger: false });
  await app.init();
  const points = app.get(PointsService);
  const guard = new IdempotencyGuard(infrastructure.eventStore, systemClock, { leaseMs: request.leaseMs });
  const account = { tenant: request.tenant, storeCode: 'main', customerId: request.customerId };
  if (request.action === 'p2p-recover') {
    const receiver = pointsAccountStream({ ...account, customerId: request.receiverId as string });
    const credited = async () => (await infrastructure.eventStore.readStream(receiver)).some((event) => event.type === 'PointsAdded');
    for (const deadline = Date.now() + 60_000; !(await credited()); ) {
      if (Date.now() > deadline) throw new Error('the receiver was not credited within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const sent = (await infrastructure.eventStore.readStream(pointsAccountStream(account))).find((event) => event.type === 'PointsSpent');
    await runInContext({ issuer: 'system', actor: 'redelivery' }, () => points.completeP2P(account, { type: 'PointsSpent', data: sent?.data } as PointsSpent));
    process.stdout.write(`${JSON.stringify({ recovered: true })}\n`);
    await app.close();
    return;
  }
  const hash = requestHash([request.action, request.customerId, request.points]);
  const result = await guard.run(request.tenant, request.key, hash, (scope, takeover) =>
    runInContext({ issuer: 'api', actor: 'crash-test', idempotencyKey: request.key, idempotencyScope: scope, idempotencyTakeover: takeover }, async (): Promise<IdempotentOutcome> => {
      try {
        const answer =
          request.action === 'add'
            ? await points.addPoints(account, request.points)
            : request.action === 'spend'
              ? await points.spendPoints(account, request.points)
              : await sendersHalf(points, account, request.receiverId as string, request.points);
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

/** The first half of PointsService.transferPoints: the sender's p2p_spending, and nothing for the receiver. */
async function sendersHalf(points: PointsService, sender: AccountKey, receiverId: string, amount: number): Promise<{ transferId: string; p2pId: string }> {
  const [transferId, p2pId] = [randomUUID(), randomUUID()];
  await points.execute(sender, {
    type: 'SendP2P',
    data: { transferId, p2pId, points: amount, senderCustomerId: sender.customerId, receiverCustomerId: receiverId, now: new Date().toISOString() },
  });
  return { transferId, p2pId };
}

void main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
