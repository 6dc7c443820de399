import { createHttpServer, createLogger, createShutdown, listen, runMain } from '@bridge/shared';
import { loadConfig } from './config';
import { createIngestApp } from './ingest-app';

runMain('ingest', async () => {
  const config = loadConfig(process.env);
  const log = createLogger({ service: 'ingest', level: config.logLevel, logPii: config.logPii });
  const ingest = createIngestApp(config, log);
  const server = createHttpServer(ingest.app);
  await listen(server, config.port);
  log.info('ingest listening', { port: config.port, allowedCidrs: config.allowedCidrs?.length ?? 'any', trustProxy: config.trustProxy });

  const shutdown = createShutdown(log, 10_000);
  shutdown.add('stop accepting', () => {
    ingest.drain();
    return new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  });
  shutdown.add('queue and redis', () => ingest.close());
  shutdown.listen();
});
