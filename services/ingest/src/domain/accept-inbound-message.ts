import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { DependencyUnavailableError, JOB, claimPlace, conversationIdFor, markPlaceStored, voidPlace, whenRedisReady, type GenerateReplyJob, type RedisClient } from '@bridge/shared';
import type { InboundMessage } from './inbound-message';

/** A message_id is remembered this long: Braze retries an unreachable endpoint for up to 24 h. */
const DEDUPE_TTL_SECONDS = 48 * 3600;

/**
 * A connection still being made (start-up) or remade (a blink) is waited for this long; a Redis
 * that is away is then answered 503 well within 2 s.
 */
const CONNECT_WAIT_MS = 500;

/**
 * BullMQ waits for a connection before it sends; the webhook must have its answer sooner. With
 * the claim's own command timeout (900 ms) a stalled Redis is answered 503 within 2 s.
 */
const ADD_DEADLINE_MS = 900;

export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** For request paths: a Redis that is not there (yet) is a 503, after a short wait for a connection being made. */
export async function requireRedis(redis: RedisClient): Promise<void> {
  if (!(await whenRedisReady(redis, CONNECT_WAIT_MS))) throw new DependencyUnavailableError('Redis is unavailable; nothing was stored');
}

/** queued: stored for a reply; limited: stored, over the sender limit (no AI reply); duplicate: stored before. */
export type AcceptResult = { status: 'queued' | 'limited' | 'duplicate'; id: string };

export interface AcceptDeps {
  redis: RedisClient;
  queue: Queue;
  prefix: string;
  ttlSeconds: number;
  /** SENDER_RATE_LIMIT_PER_MINUTE; 0 = no limit */
  senderLimitPerMinute: number;
  clock?: () => number;
}

/**
 * Stores the message as a reply-generate job in its conversation's inbound lane and resolves only
 * once Redis has it. Throws DependencyUnavailableError (503) when Redis cannot take it, so Braze retries.
 */
export function createAcceptInboundMessage({ redis, queue, prefix, ttlSeconds, senderLimitPerMinute, clock = Date.now }: AcceptDeps) {
  // a message_id is remembered as long as Braze retries, but never longer than the person's data
  const dedupeTtlSeconds = Math.min(DEDUPE_TTL_SECONDS, ttlSeconds);
  return async function acceptInboundMessage(msg: InboundMessage, correlationId: string, route?: string): Promise<AcceptResult> {
    const conversationId = conversationIdFor(msg.recipient);
    const now = clock();
    await requireRedis(redis);
    let place;
    try {
      place = await claimPlace(redis, {
        prefix, conversationId, lane: 'in', jobId: randomUUID(), now, ttlSeconds, inbound: true, limitPerWindow: senderLimitPerMinute,
        ...(msg.messageId ? { dedupe: { key: msg.messageId, ttlSeconds: dedupeTtlSeconds } } : {}),
      });
    } catch (err) {
      throw new DependencyUnavailableError('Redis is unavailable; the message was not stored', err);
    }
    if (place.earlier === 'stored') return { status: 'duplicate', id: place.jobId };
    // an earlier delivery claimed it but may not have stored it: store it under the same id and place

    const data: GenerateReplyJob = {
      v: 1,
      correlationId,
      receivedAt: now,
      conversation: { id: conversationId, seq: place.seq },
      recipient: msg.recipient,
      ...(msg.brazeId ? { brazeId: msg.brazeId } : {}),
      text: msg.text,
      mediaCount: msg.mediaCount,
      ...(msg.mediaUrls.length ? { mediaUrls: msg.mediaUrls } : {}),
      ...(msg.messageId ? { messageId: msg.messageId } : {}),
      ...(route ? { route } : {}),
      ...(msg.contact.phone || msg.contact.name ? { contact: msg.contact } : {}),
      ...(place.limited ? { limited: true as const } : {}),
    };
    const markStored = () => (msg.messageId ? markPlaceStored(redis, prefix, conversationId, msg.messageId, place).catch(() => undefined) : undefined);
    const adding = queue.add(JOB.generate, data, { jobId: place.jobId });
    try {
      await withDeadline(adding, ADD_DEADLINE_MS);
    } catch (err) {
      adding.then(
        // stored after all, past the deadline: a redelivery of this message_id is then a duplicate
        () => markStored(),
        // never stored: free its place, or the conversation waits for the worker's grace time
        // (not with a message_id, whose redelivery comes back to the same place)
        () => (msg.messageId ? undefined : voidPlace(redis, prefix, conversationId, 'in', place.seq, ttlSeconds).catch(() => undefined)),
      );
      throw new DependencyUnavailableError('Redis is unavailable; the message was not stored', err);
    }
    // stored: from now on a redelivery is a duplicate (and the 202 stands even if this write fails)
    await markStored();
    return { status: place.limited ? 'limited' : 'queued', id: place.jobId };
  };
}
