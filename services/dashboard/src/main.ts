import { Queue } from 'bullmq';
import { ALL_QUEUES, closeRedis, createHttpServer, createLogger, createRedis, createShutdown, listen, logQueueErrors, runMain } from '@bridge/shared';
import { createDashboardApp } from './app';
import { createLoginThrottle } from './auth/login-throttle';
import { loadConfig } from './config';

runMain('dashboard', async () => {
  const config = loadConfig(process.env);
  const log = createLogger({ service: 'dashboard', level: config.logLevel, logPii: config.logPii });
  const redis = createRedis(config.redisUrl, 'worker', log, 'dashboard', config.redisCluster);
  const queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix: config.prefix }));
  for (const queue of queues) logQueueErrors(queue, log, 'queue error', { queue: queue.name });
  const throttle = createLoginThrottle(redis, config.prefix, config.login);
  const app = createDashboardApp(queues, config, { throttle, log });
  const server = createHttpServer(app);
  await listen(server, config.port);
  log.info('dashboard listening', { port: config.port, readOnly: config.readOnly, accounts: config.accounts.length });

  const shutdown = createShutdown(log, 5_000);
  shutdown.add('http', () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }));
  shutdown.add('queues', () => Promise.all(queues.map((q) => q.close())));
  shutdown.add('redis', () => closeRedis(redis));
  shutdown.listen();
});
