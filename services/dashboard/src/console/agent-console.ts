import { Queue } from 'bullmq';
import {
  DependencyUnavailableError, QUEUE, bridgeKeys, createAgentDesk, createAgentEventEmitter, defaultJobOptions, logQueueErrors, whenRedisReady,
  type JobRetention, type Logger, type RedisClient,
} from '@bridge/shared';
import { createAgentFeed } from './agent-feed';
import { createConsoleRouter } from './console.routes';

export interface AgentConsoleOptions {
  prefix: string;
  ttlSeconds: number;
  handoffText: string;
  /** the agent replies it queues are retried and kept like every other reply-send job */
  jobs: JobRetention;
  clock?: () => number;
  maxStreams?: number;
  heartbeatMs?: number;
}

/** How long a request waits for Redis to come back (a blink) before it gets 503. */
const REDIS_WAIT_MS = 1_000;

/**
 * The console's parts: the agent desk on `redis` (the fail-fast producer profile: a request
 * during an outage gets 503, not a hang) and the live feed on `subscriber`, a connection of its own.
 */
export function createAgentConsole(redis: RedisClient, subscriber: RedisClient, options: AgentConsoleOptions, log: Logger) {
  const queueOptions = { connection: redis, prefix: options.prefix, defaultJobOptions: defaultJobOptions(options.jobs) };
  const sendQueue = new Queue(QUEUE.send, queueOptions);
  const eventsQueue = new Queue(QUEUE.agentEvents, queueOptions);
  const queues = [sendQueue, eventsQueue];
  for (const q of queues) logQueueErrors(q, log, 'queue error', { queue: q.name });
  const emit = createAgentEventEmitter({ redis, queue: eventsQueue, prefix: options.prefix, ttlSeconds: options.ttlSeconds, clock: options.clock });
  const desk = createAgentDesk({ redis, prefix: options.prefix, ttlSeconds: options.ttlSeconds, sendQueue, emit, clock: options.clock });
  const feed = createAgentFeed({ subscriber, channel: bridgeKeys(options.prefix).agentsFeed, log, maxStreams: options.maxStreams, heartbeatMs: options.heartbeatMs });
  const requireRedis = async () => {
    if (!(await whenRedisReady(redis, REDIS_WAIT_MS))) throw new DependencyUnavailableError('Redis is unavailable; try again shortly');
  };
  const router = createConsoleRouter({ desk, feed, handoffText: options.handoffText, requireRedis, log });
  return {
    router,
    feed,
    async close() {
      await feed.close();
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}
