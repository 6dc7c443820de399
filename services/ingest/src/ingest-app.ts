import { Queue } from 'bullmq';
import type express from 'express';
import { QUEUE, checkEvictionPolicy, closeRedis, createMetricsRegistry, createRedis, defaultJobOptions, logQueueErrors, pingRedis, type Logger } from '@bridge/shared';
import { createApp } from './app';
import type { IngestConfig } from './config';
import { createAcceptInboundMessage } from './domain/accept-inbound-message';
import { createIngestMetrics } from './http/metrics';

export interface IngestApp {
  app: express.Express;
  queue: Queue;
  /** /readyz answers 503 from now on */
  drain: () => void;
  close: () => Promise<void>;
}

/** The ingest's composition root: everything but the listening socket and signals. */
export function createIngestApp(config: IngestConfig, log: Logger): IngestApp {
  const redis = createRedis(config.redisUrl, 'producer', log, 'ingest', config.redisCluster);
  void checkEvictionPolicy(redis, log);
  const queue = new Queue(QUEUE.generate, { connection: redis, prefix: config.prefix, defaultJobOptions: defaultJobOptions(config.jobs) });
  logQueueErrors(queue, log, 'queue error', { queue: QUEUE.generate });
  const registry = createMetricsRegistry('ingest');
  let draining = false;
  const app = createApp({
    webhookSecret: config.webhookSecret,
    maxBodyBytes: config.maxBodyBytes,
    log,
    metrics: createIngestMetrics(registry),
    registry,
    accept: createAcceptInboundMessage({ redis, queue, prefix: config.prefix }),
    isReady: async () => !draining && pingRedis(redis),
  });
  return {
    app,
    queue,
    drain: () => { draining = true; },
    async close() {
      await queue.close();
      await closeRedis(redis);
    },
  };
}
