import { Logger } from '@nestjs/common';
import { loadConfig, openInfrastructure } from '@app/engine';

/**
 * Distributed profile: the projection worker. Runs every projection from its checkpoint against
 * the event store's subscription; API replicas then run with LOYALTY_RUN_PROJECTOR=false.
 */
async function main(): Promise<void> {
  const logger = new Logger('Projector');
  const config = loadConfig();
  const infrastructure = await openInfrastructure(config);
  await infrastructure.runner.start();
  logger.log(`projecting ${infrastructure.runner.list().join(', ')} (${config.profile} profile)`);
  const stop = async (signal: string) => {
    logger.log(`${signal}: stopping after the current batch`);
    await infrastructure.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
