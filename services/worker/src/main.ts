import { Queue } from 'bullmq';
import {
  QUEUE, checkEvictionPolicy, createLogger, createMetricsRegistry, createRedis, createShutdown, defaultJobOptions,
  pingRedis, runMain,
} from '@bridge/shared';
import { createAiClient } from './clients/ai.client';
import { createBrazeClient } from './clients/braze.client';
import { loadConfig } from './config';
import { createConversationHistory } from './domain/conversation-history';
import { createConversationOrder } from './domain/conversation-order';
import { createRouter } from './domain/route-message';
import { startHealthServer } from './health-server';
import { createWorkerMetrics } from './metrics';
import { createGenerateReplyProcessor } from './processors/generate-reply.processor';
import { createSendReplyProcessor } from './processors/send-reply.processor';
import { startWorker } from './workers';

runMain('worker', async () => {
  const config = loadConfig(process.env);
  const log = createLogger({ service: 'worker', level: config.logLevel });
  const redis = createRedis(config.redisUrl, 'worker', log);
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

  let shuttingDown = false;
  const health = startHealthServer(config.port, async () => !shuttingDown && workers.every((w) => w.isRunning()) && pingRedis(redis), registry);
  log.info('worker started', { port: config.port, concurrency: config.concurrency, aiRateLimit: config.ai.rateLimit ?? 'unlimited' });
  void checkEvictionPolicy(redis, log);

  const shutdown = createShutdown(log, config.shutdownTimeoutMs);
  shutdown.add('finish jobs in flight', async () => {
    shuttingDown = true;
    await Promise.all(workers.map((w) => w.close()));
  });
  shutdown.add('queues', () => Promise.all([generateQueue.close(), sendQueue.close()]));
  shutdown.add('redis', () => redis.quit().catch(() => redis.disconnect()));
  shutdown.add('health server', () => new Promise((resolve) => health.close(resolve)));
  shutdown.listen();
});
