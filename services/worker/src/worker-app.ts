import { Queue, type Worker } from 'bullmq';
import { QUEUE, checkEvictionPolicy, createMetricsRegistry, createRedis, defaultJobOptions, pingRedis, type Logger } from '@bridge/shared';
import type { Registry } from 'prom-client';
import { createAiClient } from './clients/ai.client';
import { createBrazeClient } from './clients/braze.client';
import type { WorkerConfig } from './config';
import { createConversationHistory } from './domain/conversation-history';
import { createConversationOrder } from './domain/conversation-order';
import { createRouter } from './domain/route-message';
import { createWorkerMetrics } from './metrics';
import { createGenerateReplyProcessor } from './processors/generate-reply.processor';
import { createSendReplyProcessor } from './processors/send-reply.processor';
import { startWorker } from './workers';

export interface WorkerApp {
  workers: Worker[];
  generateQueue: Queue;
  sendQueue: Queue;
  registry: Registry;
  isReady: () => Promise<boolean>;
  /** Stops taking jobs, waits for the ones in flight, closes every connection. */
  close: () => Promise<void>;
}

/** The worker's composition root: everything but the process (signals, health port). */
export function startWorkerApp(config: WorkerConfig, log: Logger): WorkerApp {
  const redis = createRedis(config.redisUrl, 'worker', log, 'worker', config.redisCluster);
  void checkEvictionPolicy(redis, log);
  const queueOptions = { connection: redis, prefix: config.prefix, defaultJobOptions: defaultJobOptions(config.jobs) };
  const generateQueue = new Queue(QUEUE.generate, queueOptions);
  const sendQueue = new Queue(QUEUE.send, queueOptions);

  const registry = createMetricsRegistry('worker');
  const metrics = createWorkerMetrics(registry, [generateQueue, sendQueue], config.queueDepthMetrics);
  const ai = createAiClient(config.ai, ({ status, seconds, promptTokens, completionTokens }) => {
    metrics.upstreamSeconds.observe({ upstream: 'ai', status }, seconds);
    if (promptTokens) metrics.aiTokens.inc({ kind: 'prompt' }, promptTokens);
    if (completionTokens) metrics.aiTokens.inc({ kind: 'completion' }, completionTokens);
  });
  const braze = createBrazeClient(config.braze, ({ status, seconds }) => metrics.upstreamSeconds.observe({ upstream: 'braze', status }, seconds));
  const order = createConversationOrder({ redis, prefix: config.prefix, generateQueue, sendQueue, gapGraceMs: config.orderGapGraceMs, log });
  const history = createConversationHistory({ redis, prefix: config.prefix, ...config.history });

  const settings = { connection: redis, prefix: config.prefix, concurrency: config.concurrency, lockDurationMs: config.lockDurationMs, log, metrics };
  const generate = createGenerateReplyProcessor({
    ai, history, order, route: createRouter(config.optOutKeywords), sendQueue,
    systemPrompt: config.ai.systemPrompt, fallbackMessage: config.fallbackMessage, log,
  });
  const workers = [
    startWorker(QUEUE.generate, generate, settings, config.ai.rateLimit),
    startWorker(QUEUE.send, createSendReplyProcessor({ braze, order, redis, prefix: config.prefix }), settings),
  ];

  let closing = false;
  return {
    workers,
    generateQueue,
    sendQueue,
    registry,
    isReady: async () => !closing && workers.every((w) => w.isRunning()) && pingRedis(redis),
    async close() {
      closing = true;
      // AI calls first, while the send worker still runs to deliver what they produce
      for (const w of workers) await w.close();
      await Promise.all([generateQueue.close(), sendQueue.close()]);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
