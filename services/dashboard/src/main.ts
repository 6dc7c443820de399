import { Queue } from 'bullmq';
import { ALL_QUEUES, closeRedis, createHttpServer, createLogger, createRedis, createShutdown, listen, logQueueErrors, runMain } from '@bridge/shared';
import { createDashboardApp } from './app';
import { createLoginThrottle } from './auth/login-throttle';
import { loadConfig } from './config';
import { createAgentConsole } from './console/agent-console';

runMain('dashboard', async () => {
  const config = loadConfig(process.env);
  const log = createLogger({ service: 'dashboard', level: config.logLevel, logPii: config.logPii });
  const redis = createRedis(config.redisUrl, 'worker', log, 'dashboard', config.redisCluster);
  const queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix: config.prefix }));
  for (const queue of queues) logQueueErrors(queue, log, 'queue error', { queue: queue.name });
  const throttle = createLoginThrottle(redis, config.prefix, config.login);
  const consoleRedis = createRedis(config.redisUrl, 'producer', log, 'dashboard-console', config.redisCluster);
  const feedRedis = createRedis(config.redisUrl, 'worker', log, 'dashboard-feed', config.redisCluster);
  const agentConsole = createAgentConsole(consoleRedis, feedRedis, { prefix: config.prefix, ...config.agentConsole }, log);
  const app = createDashboardApp(queues, config, { throttle, log, agentConsole: agentConsole.router });
  const server = createHttpServer(app);
  await listen(server, config.port);
  log.info('dashboard listening', { port: config.port, readOnly: config.readOnly, accounts: config.accounts.length });

  const shutdown = createShutdown(log, 5_000);
  shutdown.add('http', () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }));
  shutdown.add('queues', () => Promise.all(queues.map((q) => q.close())));
  shutdown.add('agent console', () => agentConsole.close());
  shutdown.add('redis', () => Promise.all([redis, consoleRedis, feedRedis].map(closeRedis)));
  shutdown.listen();
});
