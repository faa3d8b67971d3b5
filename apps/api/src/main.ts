import { Logger } from '@nestjs/common';
import { ConfigError, DataDirUnusableError, EngineLifecycle, loadConfig } from '@app/engine';
import { announceBootstrap, createApiApp } from './app';
import { createEngineLogger } from './ops/logging';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createEngineLogger();
  const { app, bootstrap } = await createApiApp(config, { log });
  announceBootstrap(bootstrap, new Logger('Bootstrap'), { dataDir: config.profile === 'embedded' ? config.dataDir : undefined });
  await app.listen({ port: config.port, host: config.host });
  const logger = new Logger('Engine');
  logger.log(
    `loyalty engine (${config.profile}) listening on ${config.tls ? 'https' : 'http'}://${config.host}:${config.port}` +
      (config.profile === 'embedded' ? `, data in ${config.sqlitePath}` : '') +
      `; API docs at /docs; in this process: ${app.get(EngineLifecycle).describe()}`,
  );
  // graceful stop: no new requests, those in flight answered, the current projection batch committed, stores closed, exit 0
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping`);
    app.close().then(
      () => {
        logger.log(`${signal}: stopped cleanly`);
        log.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`${signal}: stop failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        log.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error) => {
  // an operator's mistake gets one line naming what to fix; anything else keeps its stack
  const operatorError = error instanceof ConfigError || error instanceof DataDirUnusableError;
  // eslint-disable-next-line no-console
  console.error(operatorError ? `loyalty engine: ${(error as Error).message}` : error);
  process.exit(1);
});
