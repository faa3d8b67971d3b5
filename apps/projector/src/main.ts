import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, DataDirUnusableError, EngineLifecycle, loadConfig, openInfrastructure } from '@app/engine';
import { ProjectorModule } from './projector.module';

/**
 * Distributed profile: the worker beside the API replicas. It runs every projection from its
 * checkpoint, every consumer (the p2p process manager) and the scheduler while it holds the lease,
 * in a Nest application context with the engine's services (consumers send commands), no HTTP.
 */
async function main(): Promise<void> {
  const logger = new Logger('Projector');
  const config = loadConfig(process.env, 'projector');
  const infrastructure = await openInfrastructure(config);
  const app = await NestFactory.createApplicationContext(ProjectorModule.forRoot({ config, infrastructure }), {
    logger: ['error', 'warn', 'log'],
  });
  // SIGTERM and SIGINT: stop after the current batch, give the scheduler lease back, close the stores
  app.enableShutdownHooks();
  await app.init();
  logger.log(`${config.profile} profile: running ${app.get(EngineLifecycle).describe()}`);
}

main().catch((error) => {
  const operatorError = error instanceof ConfigError || error instanceof DataDirUnusableError;
  // eslint-disable-next-line no-console
  console.error(operatorError ? `loyalty projector: ${(error as Error).message}` : error);
  process.exit(1);
});
