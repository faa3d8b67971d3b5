import { Logger } from '@nestjs/common';
import { ConfigError, DataDirUnusableError, EngineLifecycle, loadConfig } from '@app/engine';
import { announceBootstrap, createApiApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const { app, bootstrap } = await createApiApp(config);
  announceBootstrap(bootstrap);
  await app.listen({ port: config.port, host: config.host });
  new Logger('Engine').log(
    `loyalty engine (${config.profile}) listening on http://${config.host}:${config.port}` +
      (config.profile === 'embedded' ? `, data in ${config.sqlitePath}` : '') +
      `; API docs at /docs; in this process: ${app.get(EngineLifecycle).describe()}`,
  );
}

main().catch((error) => {
  // an operator's mistake gets one line naming what to fix; anything else keeps its stack
  const operatorError = error instanceof ConfigError || error instanceof DataDirUnusableError;
  // eslint-disable-next-line no-console
  console.error(operatorError ? `loyalty engine: ${(error as Error).message}` : error);
  process.exit(1);
});
