import { Logger } from '@nestjs/common';
import { EmailNotificationDelivery, loadConfig, openInfrastructure } from '@app/engine';

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
  // one worker sends the e-mail notifications (API replicas run with LOYALTY_RUN_PROJECTOR=false and send none)
  const email = new EmailNotificationDelivery(config, infrastructure);
  email.start(config.schedulerIntervalMs);
  if (config.smtpUrl) logger.log('delivering e-mail notifications through LOYALTY_SMTP_URL');
  const stop = async (signal: string) => {
    logger.log(`${signal}: stopping after the current batch`);
    await email.stop();
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
