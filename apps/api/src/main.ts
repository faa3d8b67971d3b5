import { Logger } from '@nestjs/common';
import { loadConfig } from '@app/engine';
import { announceBootstrap, createApiApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const { app, bootstrap } = await createApiApp(config);
  announceBootstrap(bootstrap);
  await app.listen({ port: config.port, host: config.host });
  new Logger('Engine').log(
    `loyalty engine (${config.profile}) listening on ${config.tls ? 'https' : 'http'}://${config.host}:${config.port}` +
      (config.profile === 'embedded' ? `, data in ${config.sqlitePath}` : '') +
      `; API docs at /docs`,
  );
}

main().catch((error) => {
  // eslint-disable-next-line no-console
  console.error(error);
  process.exit(1);
});
