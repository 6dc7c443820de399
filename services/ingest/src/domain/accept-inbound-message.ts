import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import {
  CONVERSATION_STATE_TTL_SECONDS, DependencyUnavailableError, JOB, conversationIdFor, conversationKeys, luaScript,
  whenRedisReady, type GenerateReplyJob, type RedisClient } from '@bridge/shared';
import type { InboundMessage } from './inbound-message';

/** A message_id is remembered this long: Braze retries an unreachable endpoint for up to 24 h. */
const DEDUPE_TTL_SECONDS = 48 * 3600;

/**
 * Hands out the message's place in its conversation and, for a message_id, claims it, in one
 * atomic step. A message_id seen before returns its "<jobId>|<seq>|<p or s>" (p: being stored,
 * s: stored); the first message of a conversation resets its turn pointer.
 * KEYS: seq, jobs, next, dedupe. ARGV: jobId, now, stateTtl, dedupeTtl, 1 when there is a message_id.
 * (Without one, KEYS[4] is unused but still a key of the conversation, as Redis Cluster requires.)
 */
const claim = luaScript(`
local dedupe = ARGV[5] == '1'
if dedupe then
  local existing = redis.call('GET', KEYS[4])
  if existing then return {0, existing} end
end
local seq = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if seq == 1 then redis.call('DEL', KEYS[3]) end
redis.call('HSET', KEYS[2], seq, ARGV[1] .. '|' .. ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if dedupe then redis.call('SET', KEYS[4], ARGV[1] .. '|' .. seq .. '|p', 'EX', ARGV[4]) end
return {1, tostring(seq)}
`);

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

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export type AcceptResult = { status: 'queued' | 'duplicate'; id: string };

export interface AcceptDeps {
  redis: RedisClient;
  queue: Queue;
  prefix: string;
}

/**
 * Stores the message as a reply-generate job and resolves only once Redis has it. Throws
 * DependencyUnavailableError (503) when Redis cannot take it, so Braze retries.
 */
export function createAcceptInboundMessage({ redis, queue, prefix }: AcceptDeps) {
  return async function acceptInboundMessage(msg: InboundMessage, correlationId: string): Promise<AcceptResult> {
    const conversationId = conversationIdFor(msg.recipient);
    const keys = conversationKeys(prefix, conversationId);
    const dedupeKey = msg.messageId ? keys.dedupe(msg.messageId) : '';
    let jobId: string = randomUUID();
    let seq: number;
    if (!(await whenRedisReady(redis, CONNECT_WAIT_MS))) {
      throw new DependencyUnavailableError('Redis is unavailable; the message was not stored');
    }
    try {
      const [fresh, value] = (await claim(redis, [keys.seq, keys.jobs, keys.next, dedupeKey || keys.seq],
        [jobId, Date.now(), CONVERSATION_STATE_TTL_SECONDS, DEDUPE_TTL_SECONDS, dedupeKey ? 1 : 0])) as [number, string];
      if (fresh === 1) {
        seq = Number(value);
      } else {
        const [existingId, existingSeq, state] = value.split('|') as [string, string, string];
        if (state === 's') return { status: 'duplicate', id: existingId };
        // an earlier delivery claimed it but may not have stored it: store it under the same id and place
        jobId = existingId;
        seq = Number(existingSeq);
      }
    } catch (err) {
      throw new DependencyUnavailableError('Redis is unavailable; the message was not stored', err);
    }

    const data: GenerateReplyJob = {
      v: 1,
      correlationId,
      receivedAt: Date.now(),
      conversation: { id: conversationId, seq },
      recipient: msg.recipient,
      text: msg.text,
      mediaCount: msg.mediaCount,
      ...(msg.messageId ? { messageId: msg.messageId } : {}),
    };
    const markStored = () => redis.set(dedupeKey, `${jobId}|${seq}|s`, 'KEEPTTL').catch(() => undefined);
    const adding = queue.add(JOB.generate, data, { jobId });
    try {
      await withDeadline(adding, ADD_DEADLINE_MS);
    } catch (err) {
      adding.then(
        // stored after all, past the deadline: a redelivery of this message_id is then a duplicate
        () => (dedupeKey ? markStored() : undefined),
        // never stored: free its place, or the conversation waits for the worker's grace time
        // (not with a message_id, whose redelivery comes back to the same place)
        () => (dedupeKey ? undefined : redis.hset(keys.jobs, String(seq), 'void').catch(() => undefined)),
      );
      throw new DependencyUnavailableError('Redis is unavailable; the message was not stored', err);
    }
    // stored: from now on a redelivery is a duplicate (and the 202 stands even if this write fails)
    if (dedupeKey) await markStored();
    return { status: 'queued', id: jobId };
  };
}
