import { createLogger, createShutdown, runMain } from '@bridge/shared';
import { loadConfig } from './config';
import { createIngestApp } from './ingest-app';

runMain('ingest', async () => {
  const config = loadConfig(process.env);
  const log = createLogger({ service: 'ingest', level: config.logLevel });
  const ingest = createIngestApp(config, log);
  const server = ingest.app.listen(config.port, () => log.info('ingest listening', { port: config.port }));
  // longer than any load balancer's idle timeout, so it never closes a socket under a request
  server.keepAliveTimeout = 65_000;

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
