import { Queue, type Worker } from 'bullmq';
import {
  QUEUE, JOB, TRANSCRIPT_MAX_ENTRIES, bridgeKeys, checkEvictionPolicy, createAgentDesk, createAgentEventEmitter, createMetricsRegistry,
  closeRedis, createRedis, defaultJobOptions, logQueueErrors, pingRedis, type Logger, type RedisClient,
} from '@bridge/shared';
import type { Registry } from 'prom-client';
import { createAgentEventsProcessor } from './agents/agent-events.processor';
import { IDLE_CHECK_EVERY_MS, createIdleRelease } from './agents/idle-release';
import { createWebhookSink, type AgentEventSink } from './agents/webhook-sink';
import { createAiReplier } from './ai/ai-reply';
import { createMediaFetcher } from './ai/media';
import { createMessageInput } from './ai/message-input';
import { createToolbox } from './ai/tools';
import { createAiClient } from './clients/ai.client';
import { createTranscriptionClient } from './clients/transcription.client';
import { createBrazeClient, type ReplyItem } from './clients/braze.client';
import type { WorkerConfig } from './config';
import { createCoalescer } from './conversation/coalesce';
import { keywordSet, routeMatcher } from './conversation/match';
import { createTurnProcessor } from './conversation/turn.processor';
import { createTurnStore } from './conversation/turn-store';
import { createBatcher } from './domain/batcher';
import { createConversationOrder } from './domain/conversation-order';
import { createWorkerMetrics } from './metrics';
import { createProfileSyncProcessor } from './profile/profile-sync.processor';
import { createSendReplyProcessor } from './processors/send-reply.processor';
import { holdQueue, startWorker } from './workers';

export interface WorkerApp {
  workers: Worker[];
  generateQueue: Queue;
  sendQueue: Queue;
  profileQueue: Queue;
  eventsQueue: Queue;
  registry: Registry;
  /** gives idle handoffs back to the bot now (the maintenance queue does it every 30 s) */
  releaseIdleHandoffs: () => Promise<{ released: number }>;
  isReady: () => Promise<boolean>;
  /**
   * Stops taking jobs, waits for the ones in flight, closes every connection. With Redis gone
   * (or going during the close) nothing in flight can finish or be recorded, so it stops waiting:
   * once Redis is back, the stalled check hands those jobs to a running worker.
   */
  close: () => Promise<void>;
}

export interface WorkerOptions {
  /** time as the worker sees it: tests move it */
  clock?: () => number;
  /** more event sinks (tests, Chatwoot) */
  sinks?: AgentEventSink[];
}

/** The worker's composition root: everything but the process (signals, health port). */
export function startWorkerApp(config: WorkerConfig, log: Logger, options: WorkerOptions = {}): WorkerApp {
  const clock = options.clock ?? Date.now;
  const redis = createRedis(config.redisUrl, 'worker', log, 'worker', config.redisCluster);
  void checkEvictionPolicy(redis, log);
  const queueOptions = { connection: redis, prefix: config.prefix, defaultJobOptions: defaultJobOptions(config.jobs) };
  const generateQueue = new Queue(QUEUE.generate, queueOptions);
  const sendQueue = new Queue(QUEUE.send, queueOptions);
  const profileQueue = new Queue(QUEUE.profile, queueOptions);
  const eventsQueue = new Queue(QUEUE.agentEvents, queueOptions);
  const maintenanceQueue = new Queue(QUEUE.maintenance, queueOptions);
  const queues = [generateQueue, sendQueue, profileQueue, eventsQueue, maintenanceQueue];
  for (const queue of queues) logQueueErrors(queue, log, 'queue error', { queue: queue.name });

  const registry = createMetricsRegistry('worker');
  const metrics = createWorkerMetrics(registry, { queues, withQueueDepth: config.queueDepthMetrics, agentsWaiting: { redis, key: bridgeKeys(config.prefix).agentsWaiting } });
  // assigned below; the clients' observers use them only once jobs run
  let generateWorker: Worker;
  let sendWorker: Worker;
  let profileWorker: Worker | undefined;
  const hold = (worker: Worker | undefined, ms: number) => worker && holdQueue(worker, metrics, ms).catch((err: Error) => log.warn('could not hold the queue', { error: err.message }));
  const ai = createAiClient(config.ai, ({ status, seconds, promptTokens, completionTokens, pauseMs }) => {
    metrics.upstreamSeconds.observe({ upstream: 'ai', status }, seconds);
    if (promptTokens) metrics.aiTokens.inc({ kind: 'prompt' }, promptTokens);
    if (completionTokens) metrics.aiTokens.inc({ kind: 'completion' }, completionTokens);
    if (pauseMs) void hold(generateWorker, pauseMs);
  });
  const braze = createBrazeClient(config.braze, ({ endpoint, status, seconds, items, rateLimit }) => {
    metrics.upstreamSeconds.observe({ upstream: endpoint === 'track' ? 'braze_track' : 'braze', status }, seconds);
    (endpoint === 'track' ? metrics.profileObjects : metrics.brazeRecipients).observe(items);
    if (!rateLimit) return;
    metrics.brazeRemaining.set(rateLimit.remaining);
    // the workspace's hourly pool is spent: send nothing until it resets instead of collecting 429s
    if (rateLimit.remaining <= 0) void hold(endpoint === 'track' ? profileWorker : sendWorker, rateLimit.resetAtMs - clock());
  }, clock);
  const batcher = createBatcher((campaignId, items: ReplyItem[]) => braze.send(campaignId, items), {
    maxSize: config.braze.batchSize, maxWaitMs: config.braze.batchWaitMs, groupOf: (i) => i.campaignId, keyOf: (i) => JSON.stringify(i.recipient),
  });
  const order = createConversationOrder({
    redis, prefix: config.prefix, generateQueue, sendQueue, eventsQueue, gapGraceMs: config.orderGapGraceMs,
    ttlSeconds: config.ttlSeconds, historyMax: TRANSCRIPT_MAX_ENTRIES, log,
  });
  const emit = createAgentEventEmitter({ redis, queue: eventsQueue, prefix: config.prefix, ttlSeconds: config.ttlSeconds, clock });
  const desk = createAgentDesk({ redis, prefix: config.prefix, ttlSeconds: config.ttlSeconds, sendQueue, emit, clock });
  const toolbox = createToolbox({
    handoff: config.agents.live, writableAttributes: config.ai.tools?.writableAttributes ?? [], loggableEvents: config.ai.tools?.loggableEvents ?? [], flows: Object.keys(config.conversationFile.flows),
  });
  const replier = createAiReplier({
    ai, systemPrompt: config.ai.systemPrompt, assistPrompt: config.agents.assistPrompt, fallbackMessage: config.fallbackMessage,
    history: config.history, reply: config.ai.reply, toolbox, maxToolRounds: config.ai.tools?.maxRounds ?? 0, metrics, log, clock,
  });
  const transcriber = config.ai.transcribe && createTranscriptionClient(config.ai.transcribe, ({ status, seconds }) => metrics.upstreamSeconds.observe({ upstream: 'ai_transcribe', status }, seconds));
  const input = transcriber || config.ai.vision
    ? createMessageInput({ fetchMedia: createMediaFetcher(config.media), transcriber: transcriber || undefined, vision: config.ai.vision, metrics, log })
    : undefined;
  const settings = {
    file: config.conversationFile,
    isSilent: keywordSet(config.silentKeywords),
    matchRoute: routeMatcher(config.conversationFile.routes),
    handoffText: config.agents.handoffText,
    windowMs: config.windowMs,
    templateCampaignId: config.braze.templateCampaignId,
  };
  const profileOn = config.profile !== undefined;
  const turn = createTurnProcessor({
    settings, store: createTurnStore({ redis, prefix: config.prefix, ttlSeconds: config.ttlSeconds, tail: Math.max(1, config.history.maxTurns * 3) }),
    order, replier, desk, emit, sendQueue, profileQueue: profileOn ? profileQueue : undefined, redis, prefix: config.prefix, ttlSeconds: config.ttlSeconds,
    liveAgents: config.agents.live, agentAssist: config.agents.assist, fallbackMessage: config.fallbackMessage, input,
    coalescer: config.coalesce && createCoalescer({ ...config.coalesce, redis, prefix: config.prefix, generateQueue, clock }),
    offerTools: config.ai.tools ? (routeTools) => routeTools ?? toolbox.configured : undefined,
    metrics, log, clock,
  });
  const send = createSendReplyProcessor({
    batcher, order, redis, prefix: config.prefix, ttlSeconds: config.ttlSeconds,
    campaigns: { default: config.braze.campaignId, agent: config.braze.agentCampaignId, template: config.braze.templateCampaignId },
    windowMs: config.windowMs, emit, profileQueue: profileOn ? profileQueue : undefined, metrics, log, clock,
  });
  const sinks = [...(config.agents.webhook ? [createWebhookSink(config.agents.webhook)] : []), ...(options.sinks ?? [])];
  const events = createAgentEventsProcessor({ sinks, order, queue: eventsQueue, redis, prefix: config.prefix, ttlSeconds: config.ttlSeconds, attempts: config.agents.eventAttempts, metrics, clock });
  const idle = createIdleRelease({ desk, redis, prefix: config.prefix, idleMs: config.agents.idleReleaseMs, log, clock });

  const workerSettings = { connection: redis, prefix: config.prefix, concurrency: config.concurrency, lockDurationMs: config.lockDurationMs, log, metrics };
  generateWorker = startWorker(QUEUE.generate, turn, workerSettings, { limiter: config.ai.rateLimit });
  // enough sends in flight to fill a batch
  sendWorker = startWorker(QUEUE.send, send, workerSettings, { concurrency: Math.max(config.concurrency, config.braze.batchSize) });
  const workers = [generateWorker, sendWorker];
  if (config.profile) {
    const profile = createProfileSyncProcessor({ braze, redis, prefix: config.prefix, batchSize: config.profile.batchSize, batchWaitMs: config.braze.batchWaitMs, requestsPerMinute: config.profile.requestsPerMinute, clock });
    profileWorker = startWorker(QUEUE.profile, profile, workerSettings, { concurrency: config.profile.batchSize });
    workers.push(profileWorker);
  }
  workers.push(startWorker(QUEUE.agentEvents, events, workerSettings));
  workers.push(startWorker(QUEUE.maintenance, idle, workerSettings, { concurrency: 1 }));
  void maintenanceQueue.upsertJobScheduler(JOB.releaseIdle, { every: IDLE_CHECK_EVERY_MS }, { name: JOB.releaseIdle, opts: { removeOnComplete: true, removeOnFail: 100 } })
    .catch((err: Error) => log.warn('could not schedule the idle-handoff check', { error: err.message }));

  let closing = false;
  return {
    workers,
    generateQueue,
    sendQueue,
    profileQueue,
    eventsQueue,
    registry,
    releaseIdleHandoffs: idle.sweep,
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
      await Promise.all(queues.map((q) => q.close()));
      await closeRedis(redis);
    },
  };
}

/** Resolves when the connection drops (a graceful Worker.close() would then wait for its return). */
function redisLost(redis: RedisClient): Promise<void> {
  return new Promise((resolve) => redis.once('close', () => resolve()));
}
