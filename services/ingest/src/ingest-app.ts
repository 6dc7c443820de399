import { Queue } from 'bullmq';
import type express from 'express';
import {
  ALL_QUEUES, QUEUE, chatwootErasureHook, checkEvictionPolicy, createPersonEraser, createAgentDesk, closeRedis, createAgentEventEmitter, createMetricsRegistry, createRedis, defaultJobOptions, logQueueErrors, pingRedis, type Logger,
} from '@bridge/shared';
import { createAgentApiRouter } from './agent-api/agent-api.routes';
import { createApp } from './app';
import { createChatwootWebhookRouter } from './chatwoot/chatwoot-webhook';
import type { IngestConfig } from './config';
import { createAcceptInboundMessage, requireRedis } from './domain/accept-inbound-message';
import { createIngestMetrics } from './http/metrics';
import { createErasureRouter } from './privacy/erasure.routes';

export interface IngestApp {
  app: express.Express;
  queue: Queue;
  /** /readyz answers 503 from now on */
  drain: () => void;
  close: () => Promise<void>;
}

/** The ingest's composition root: everything but the listening socket and signals. */
export function createIngestApp(config: IngestConfig, log: Logger, options: { clock?: () => number } = {}): IngestApp {
  const clock = options.clock ?? Date.now;
  const redis = createRedis(config.redisUrl, 'producer', log, 'ingest', config.redisCluster);
  void checkEvictionPolicy(redis, log);
  const queueOptions = { connection: redis, prefix: config.prefix, defaultJobOptions: defaultJobOptions(config.jobs) };
  const queue = new Queue(QUEUE.generate, queueOptions);
  const queues = [queue];
  let agentApi: express.Router | undefined;
  if (config.agentApiTokens) {
    const sendQueue = new Queue(QUEUE.send, queueOptions);
    const eventsQueue = new Queue(QUEUE.agentEvents, queueOptions);
    queues.push(sendQueue, eventsQueue);
    const emit = createAgentEventEmitter({ redis, queue: eventsQueue, prefix: config.prefix, ttlSeconds: config.ttlSeconds, clock });
    const desk = createAgentDesk({ redis, prefix: config.prefix, ttlSeconds: config.ttlSeconds, sendQueue, emit, clock });
    agentApi = createAgentApiRouter({ desk, tokens: config.agentApiTokens, handoffText: config.handoffText, maxBodyBytes: config.maxBodyBytes, requireRedis: () => requireRedis(redis) });
  }
  const registry = createMetricsRegistry('ingest');
  const metrics = createIngestMetrics(registry);
  let chatwootWebhook: express.Router | undefined;
  if (config.chatwoot) {
    const chatwootQueue = new Queue(QUEUE.chatwootInbound, queueOptions);
    queues.push(chatwootQueue);
    chatwootWebhook = createChatwootWebhookRouter({ ...config.chatwoot, redis, queue: chatwootQueue, prefix: config.prefix, log, metrics, clock });
  }
  let adminApi: express.Router | undefined;
  if (config.adminApiTokens) {
    // an erasure looks at the jobs of every queue, not only the ones the ingest adds to
    for (const name of ALL_QUEUES) if (!queues.some((q) => q.name === name)) queues.push(new Queue(name, queueOptions));
    const erase = createPersonEraser({ redis, prefix: config.prefix, queues, hooks: [chatwootErasureHook(redis, config.prefix)] });
    adminApi = createErasureRouter({ erase, tokens: config.adminApiTokens, requireRedis: () => requireRedis(redis), log });
  }
  for (const q of queues) logQueueErrors(q, log, 'queue error', { queue: q.name });
  let draining = false;
  const app = createApp({
    webhookSecrets: config.webhookSecrets,
    routes: config.routes,
    agentApi,
    adminApi,
    chatwootWebhook,
    maxBodyBytes: config.maxBodyBytes,
    allowedCidrs: config.allowedCidrs,
    trustProxy: config.trustProxy,
    unknownSender: config.unknownSender,
    log,
    metrics,
    registry,
    accept: createAcceptInboundMessage({ redis, queue, prefix: config.prefix, ttlSeconds: config.ttlSeconds, senderLimitPerMinute: config.senderLimitPerMinute, clock }),
    isReady: async () => !draining && pingRedis(redis),
  });
  return {
    app,
    queue,
    drain: () => { draining = true; },
    async close() {
      await Promise.all(queues.map((q) => q.close()));
      await closeRedis(redis);
    },
  };
}
