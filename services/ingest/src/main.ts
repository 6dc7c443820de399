import { Queue } from 'bullmq';
import {
  QUEUE, checkEvictionPolicy, createLogger, createMetricsRegistry, createRedis, createShutdown, defaultJobOptions,
  pingRedis, runMain,
} from '@bridge/shared';
import { createApp } from './app';
import { loadConfig } from './config';
import { createAcceptInboundMessage } from './domain/accept-inbound-message';
import { createIngestMetrics } from './http/metrics';

runMain('ingest', async () => {
  const config = loadConfig(process.env);
  const log = createLogger({ service: 'ingest', level: config.logLevel });
  const redis = createRedis(config.redisUrl, 'producer', log);
  const queue = new Queue(QUEUE.generate, {
    connection: redis,
    prefix: config.prefix,
    defaultJobOptions: defaultJobOptions(config.jobs),
  });
  queue.on('error', () => undefined); // the connection's own listener reports it once
  const registry = createMetricsRegistry('ingest');
  let shuttingDown = false;
  const app = createApp({
    webhookSecret: config.webhookSecret,
    maxBodyBytes: config.maxBodyBytes,
    log,
    metrics: createIngestMetrics(registry),
    registry,
    accept: createAcceptInboundMessage({ redis, queue, prefix: config.prefix }),
    isReady: async () => !shuttingDown && pingRedis(redis),
  });

  const server = app.listen(config.port, () => {
    log.info('ingest listening', { port: config.port });
    redis.once('ready', () => void checkEvictionPolicy(redis, log));
    if (redis.status === 'ready') void checkEvictionPolicy(redis, log);
  });
  server.keepAliveTimeout = 65_000;

  const shutdown = createShutdown(log, 10_000);
  shutdown.add('stop accepting', async () => {
    shuttingDown = true;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  });
  shutdown.add('queue', () => queue.close());
  shutdown.add('redis', () => redis.quit().catch(() => redis.disconnect()));
  shutdown.listen();
});
