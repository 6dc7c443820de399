import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import { claimPlace, markPlaceStored } from '../conversation/lanes';
import { bridgeKeys } from '../queues/conversation-keys';
import { ConversationRef } from '../queues/jobs';
import { JOB } from '../queues/queue-names';
import type { RedisClient } from '../redis/create-redis';

/**
 * What the live-agent side hears about, in a conversation's order. Delivered to AGENT_WEBHOOK_URL
 * per the Standard Webhooks specification (https://www.standardwebhooks.com/) and to Chatwoot.
 */
export const AGENT_EVENT_TYPES = ['handoff.started', 'message.received', 'message.sent', 'message.failed', 'handoff.ended'] as const;
export type AgentEventType = (typeof AGENT_EVENT_TYPES)[number];

export const AgentEvent = z.object({
  /** stable across retries: the webhook-id header */
  id: z.string(),
  type: z.enum(AGENT_EVENT_TYPES),
  /** ISO 8601 */
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type AgentEvent = z.infer<typeof AgentEvent>;

/** agent-events: `fan-out` (lane ev) becomes one `deliver` job per sink (lane ev:<sink>). */
export const AgentEventJob = z.object({
  v: z.literal(1),
  conversation: ConversationRef,
  sink: z.string().optional(),
  event: AgentEvent,
});
export type AgentEventJob = z.infer<typeof AgentEventJob>;

export interface EmitterDeps {
  redis: RedisClient;
  queue: Queue;
  prefix: string;
  ttlSeconds: number;
  clock?: () => number;
}

/** Events are kept deduped this long: a re-run turn or a repeated API call emits nothing twice. */
const EVENT_DEDUPE_TTL_SECONDS = 24 * 3600;

/**
 * Emits an event of a conversation. `key` names the occurrence (e.g. `hs3`: handoff 3 started),
 * so emitting it again (a re-run, a retried request) is harmless. Also tells the console.
 */
export function createAgentEventEmitter({ redis, queue, prefix, ttlSeconds, clock = Date.now }: EmitterDeps) {
  const feed = bridgeKeys(prefix).agentsFeed;
  return async function emit(conversationId: string, type: AgentEventType, key: string, data: Record<string, unknown>): Promise<AgentEvent> {
    const now = clock();
    const id = `evt_${conversationId}_${key}`;
    const place = await claimPlace(redis, {
      prefix, conversationId, lane: 'ev', jobId: randomUUID(), now, ttlSeconds,
      dedupe: { key: id, ttlSeconds: Math.min(EVENT_DEDUPE_TTL_SECONDS, ttlSeconds) },
    });
    const event: AgentEvent = { id, type, timestamp: new Date(now).toISOString(), data: { conversation_id: conversationId, ...data } };
    if (place.earlier !== 'stored') {
      const job: AgentEventJob = { v: 1, conversation: { id: conversationId, seq: place.seq, lane: 'ev' }, event };
      await queue.add(JOB.agentEvent, job, { jobId: place.jobId });
      await markPlaceStored(redis, prefix, conversationId, id, place);
    }
    await redis.publish(feed, conversationId).catch(() => undefined);
    return event;
  };
}
export type EmitAgentEvent = ReturnType<typeof createAgentEventEmitter>;
