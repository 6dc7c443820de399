import { DelayedError, Job, type Queue } from 'bullmq';
import { CONVERSATION_STATE_TTL_SECONDS, JOB, conversationKeys, luaScript, sendJobIdFor, type ConversationRef, type Logger, type RedisClient } from '@bridge/shared';

/**
 * Passes the turn from ARGV[1] to the next number and returns the next holder's entry. With a
 * third key, first records a fact about the finished turn (that its reply was sent) in the
 * same step. KEYS: next, jobs[, record]. ARGV: seq, stateTtl[, recordValue, recordTtl].
 */
const ADVANCE = luaScript(`
if KEYS[3] then redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4]) end
local cur = tonumber(redis.call('GET', KEYS[1]) or '1')
if cur ~= tonumber(ARGV[1]) then return false end
redis.call('SET', KEYS[1], cur + 1, 'EX', ARGV[2])
redis.call('HDEL', KEYS[2], cur)
return redis.call('HGET', KEYS[2], cur + 1)
`);

const POLL_MS = 2_000;
/** A job parked longer than this looks at whether the turn before it can still finish. */
const STUCK_CHECK_AFTER_MS = 5_000;
const FINISHED = new Set(['completed', 'failed', 'unknown']);

export interface OrderDeps {
  redis: RedisClient;
  prefix: string;
  generateQueue: Queue;
  sendQueue: Queue;
  gapGraceMs: number;
  log: Logger;
}

/**
 * Per-conversation order across any number of workers (docs/delivery-guarantees.md, "Order").
 *
 * The ingest numbers each conversation's messages (seq) and records which job holds each
 * number. A message's turn comes when the conversation's `next` pointer reaches its number; it
 * passes when its reply has been sent or has finally failed. A job whose turn has not come is
 * parked in BullMQ's delayed set (no attempt used) and promoted by the job before it, with a
 * slow poll as a safety net. A turn whose job is gone, finished without moving the pointer
 * (a crash), or was never stored is skipped, so one failed message never blocks the next.
 * Jobs of other conversations are never held up.
 */
export function createConversationOrder({ redis, prefix, generateQueue, sendQueue, gapGraceMs, log }: OrderDeps) {
  const keysOf = (id: string) => conversationKeys(prefix, id);

  async function nextOf(id: string): Promise<number> {
    return Number((await redis.get(keysOf(id).next)) ?? 1);
  }

  /** Wakes a parked job; one that is not parked (waiting, active, gone) refuses, which is fine. */
  async function promote(entry: string | null): Promise<void> {
    const jobId = entry?.split('|')[0];
    if (!jobId || jobId === 'void') return;
    await new Job(generateQueue, JOB.generate, {}, {}, jobId).promote().catch(() => undefined);
  }

  /**
   * Passes the turn on from `ref` (a no-op unless it is ref's turn) and wakes the next job.
   * `record` is written in the same step (the send record of a reply).
   */
  async function advance(ref: ConversationRef, record?: { key: string; value: string; ttlSeconds: number }): Promise<void> {
    const k = keysOf(ref.id);
    const keys = record ? [k.next, k.jobs, record.key] : [k.next, k.jobs];
    const args: Array<string | number> = record ? [ref.seq, CONVERSATION_STATE_TTL_SECONDS, record.value, record.ttlSeconds] : [ref.seq, CONVERSATION_STATE_TTL_SECONDS];
    const successor = (await ADVANCE(redis, keys, args)) as string | null;
    await promote(successor);
  }

  /** Whether the holder of turn `seq` can never move the pointer itself. */
  async function isAbandoned(id: string, seq: number): Promise<boolean> {
    const entry = await redis.hget(keysOf(id).jobs, String(seq));
    if (!entry || entry === 'void') return true;
    const [jobId, at] = entry.split('|') as [string, string];
    const generate = await generateQueue.getJob(jobId);
    if (!generate) return Date.now() - Number(at) > gapGraceMs;
    if (!FINISHED.has(await generate.getState())) return false;
    const send = await sendQueue.getJob(sendJobIdFor(jobId));
    return !send || FINISHED.has(await send.getState());
  }

  /**
   * True when it is this message's turn (or it is a late manual retry). A message that has
   * waited a while skips turns that can never finish on the way.
   */
  async function isTurn(ref: ConversationRef, waitingSinceMs: number): Promise<boolean> {
    for (;;) {
      const next = await nextOf(ref.id);
      if (ref.seq <= next) return true;
      if (Date.now() - waitingSinceMs < STUCK_CHECK_AFTER_MS || !(await isAbandoned(ref.id, next))) return false;
      log.warn('skipping a conversation turn whose job will not finish', { conversationId: ref.id, seq: next });
      await advance({ id: ref.id, seq: next });
    }
  }

  /**
   * In a processor: resolves when it is the job's turn, else parks the job in the delayed set
   * and throws BullMQ's DelayedError (no attempt is used).
   */
  async function waitForTurn(job: Job, token: string | undefined, ref: ConversationRef): Promise<void> {
    if (await isTurn(ref, job.timestamp)) return;
    await job.moveToDelayed(Date.now() + POLL_MS + Math.floor(Math.random() * 500), token);
    // the job before may have finished while this one was being parked, and found nothing to promote
    if ((await nextOf(ref.id)) >= ref.seq) await job.promote().catch(() => undefined);
    throw new DelayedError();
  }

  return { advance, waitForTurn };
}
export type ConversationOrder = ReturnType<typeof createConversationOrder>;
