import { Queue } from 'bullmq';
import { ALL_QUEUES, closeRedis, createLogger, createRedis, createShutdown, logQueueErrors, runMain } from '@bridge/shared';
import { createDashboardApp } from './app';
import { loadConfig } from './config';

runMain('dashboard', async () => {
  const config = loadConfig(process.env);
  const log = createLogger({ service: 'dashboard', level: config.logLevel });
  const redis = createRedis(config.redisUrl, 'worker', log, 'dashboard', config.redisCluster);
  const queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix: config.prefix }));
  for (const queue of queues) logQueueErrors(queue, log, 'queue error', { queue: queue.name });
  const app = createDashboardApp(queues, config);
  const server = app.listen(config.port, () => log.info('dashboard listening', { port: config.port, readOnly: config.readOnly }));

  const shutdown = createShutdown(log, 5_000);
  shutdown.add('http', () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }));
  shutdown.add('queues', () => Promise.all(queues.map((q) => q.close())));
  shutdown.add('redis', () => closeRedis(redis));
  shutdown.listen();
});
