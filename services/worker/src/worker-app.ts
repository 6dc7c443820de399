import { Queue, type Worker } from 'bullmq';
import { QUEUE, checkEvictionPolicy, closeRedis, createMetricsRegistry, createRedis, defaultJobOptions, logQueueErrors, pingRedis, type Logger, type RedisClient } from '@bridge/shared';
import type { Registry } from 'prom-client';
import { createAiClient } from './clients/ai.client';
import { createBrazeClient } from './clients/braze.client';
import type { WorkerConfig } from './config';
import { createConversationHistory } from './domain/conversation-history';
import { createConversationOrder } from './domain/conversation-order';
import { createReplyBatcher } from './domain/reply-batcher';
import { createRouter } from './domain/route-message';
import { createWorkerMetrics } from './metrics';
import { createGenerateReplyProcessor } from './processors/generate-reply.processor';
import { createSendReplyProcessor } from './processors/send-reply.processor';
import { holdQueue, startWorker } from './workers';

export interface WorkerApp {
  workers: Worker[];
  generateQueue: Queue;
  sendQueue: Queue;
  registry: Registry;
  isReady: () => Promise<boolean>;
  /**
   * Stops taking jobs, waits for the ones in flight, closes every connection. With Redis gone
   * (or going during the close) nothing in flight can finish or be recorded, so it stops waiting:
   * once Redis is back, the stalled check hands those jobs to a running worker.
   */
  close: () => Promise<void>;
}

/** The worker's composition root: everything but the process (signals, health port). */
export function startWorkerApp(config: WorkerConfig, log: Logger): WorkerApp {
  const redis = createRedis(config.redisUrl, 'worker', log, 'worker', config.redisCluster);
  void checkEvictionPolicy(redis, log);
  const queueOptions = { connection: redis, prefix: config.prefix, defaultJobOptions: defaultJobOptions(config.jobs) };
  const generateQueue = new Queue(QUEUE.generate, queueOptions);
  const sendQueue = new Queue(QUEUE.send, queueOptions);
  for (const queue of [generateQueue, sendQueue]) logQueueErrors(queue, log, 'queue error', { queue: queue.name });

  const registry = createMetricsRegistry('worker');
  const metrics = createWorkerMetrics(registry, [generateQueue, sendQueue], config.queueDepthMetrics);
  // assigned below; the clients' observers use them only once jobs run
  let generateWorker: Worker;
  let sendWorker: Worker;
  const hold = (worker: Worker, ms: number) => holdQueue(worker, metrics, ms).catch((err: Error) => log.warn('could not hold the queue', { error: err.message }));
  const ai = createAiClient(config.ai, ({ status, seconds, promptTokens, completionTokens, pauseMs }) => {
    metrics.upstreamSeconds.observe({ upstream: 'ai', status }, seconds);
    if (promptTokens) metrics.aiTokens.inc({ kind: 'prompt' }, promptTokens);
    if (completionTokens) metrics.aiTokens.inc({ kind: 'completion' }, completionTokens);
    if (pauseMs) void hold(generateWorker, pauseMs);
  });
  const braze = createBrazeClient(config.braze, ({ status, seconds, recipients, rateLimit }) => {
    metrics.upstreamSeconds.observe({ upstream: 'braze', status }, seconds);
    metrics.brazeRecipients.observe(recipients);
    if (!rateLimit) return;
    metrics.brazeRemaining.set(rateLimit.remaining);
    // the workspace's hourly pool is spent: send nothing until it resets instead of collecting 429s
    if (rateLimit.remaining <= 0) void hold(sendWorker, rateLimit.resetAtMs - Date.now());
  });
  const batcher = createReplyBatcher((items) => braze.send(items), { maxSize: config.braze.batchSize, maxWaitMs: config.braze.batchWaitMs });
  const order = createConversationOrder({ redis, prefix: config.prefix, generateQueue, sendQueue, gapGraceMs: config.orderGapGraceMs, log });
  const history = createConversationHistory({ redis, prefix: config.prefix, ...config.history });

  const settings = { connection: redis, prefix: config.prefix, concurrency: config.concurrency, lockDurationMs: config.lockDurationMs, log, metrics };
  const generate = createGenerateReplyProcessor({
    ai, history, order, route: createRouter(config.silentKeywords), sendQueue,
    systemPrompt: config.ai.systemPrompt, fallbackMessage: config.fallbackMessage, log,
  });
  generateWorker = startWorker(QUEUE.generate, generate, settings, { limiter: config.ai.rateLimit });
  // enough sends in flight to fill a batch
  sendWorker = startWorker(QUEUE.send, createSendReplyProcessor({ batcher, order, redis, prefix: config.prefix }), settings, {
    concurrency: Math.max(config.concurrency, config.braze.batchSize),
  });
  const workers = [generateWorker, sendWorker];

  let closing = false;
  return {
    workers,
    generateQueue,
    sendQueue,
    registry,
    isReady: async () => !closing && workers.every((w) => w.isRunning()) && pingRedis(redis),
    async close() {
      closing = true;
      const lost = redisLost(redis);
      // AI calls first, while the send worker still runs to deliver what they produce
      for (const w of workers) {
        if (redis.status === 'ready') await Promise.race([w.close(), lost]);
        else await w.close(true);
      }
      if (redis.status !== 'ready') log.warn('redis is gone: closed without waiting for jobs in flight');
      await Promise.all([generateQueue.close(), sendQueue.close()]);
      await closeRedis(redis);
    },
  };
}

/** Resolves when the connection drops (a graceful Worker.close() would then wait for its return). */
function redisLost(redis: RedisClient): Promise<void> {
  return new Promise((resolve) => redis.once('close', () => resolve()));
}
