import { createLogger, createShutdown, listen, runMain } from '@bridge/shared';
import { loadConfig } from './config';
import { createHealthServer } from './health-server';
import { startWorkerApp } from './worker-app';

runMain('worker', async () => {
  const config = loadConfig(process.env);
  const log = createLogger({ service: 'worker', level: config.logLevel, logPii: config.logPii });
  const app = startWorkerApp(config, log);
  const health = createHealthServer(app.isReady, app.registry, log);
  await listen(health, config.port);
  log.info('worker started', { port: config.port, concurrency: config.concurrency, lockDurationMs: config.lockDurationMs, aiRateLimit: config.ai.rateLimit ?? 'unlimited' });

  const shutdown = createShutdown(log, config.shutdownTimeoutMs);
  shutdown.add('finish jobs in flight, close connections', () => app.close());
  shutdown.add('health server', () => new Promise((resolve) => health.close(resolve)));
  shutdown.listen();
});
