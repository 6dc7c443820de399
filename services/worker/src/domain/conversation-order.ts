import { DelayedError, Job, type Queue } from 'bullmq';
import { JOB, appendTranscriptLua, conversationKeys, laneOf, luaScript, sendJobIdFor, type ConversationRef, type Lane, type Logger, type RedisClient, type TranscriptEntry } from '@bridge/shared';

/**
 * Passes a lane's turn from ARGV[1] to the next number and returns the next holder's entry. With
 * a record key, first records a fact about the finished turn (that its reply was sent) and appends
 * transcript entries in the same step. KEYS: next, jobs[, record, history].
 * ARGV: seq, ttl[, recordValue, recordTtl, entries JSON array, historyMax].
 */
const ADVANCE = luaScript(`
if KEYS[3] then
  redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
  local entries = cjson.decode(ARGV[5])
  if #entries > 0 then ${appendTranscriptLua('KEYS[4]', 'entries', 'ARGV[6]', 'ARGV[2]')} end
end
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
  eventsQueue: Queue;
  gapGraceMs: number;
  ttlSeconds: number;
  historyMax: number;
  log: Logger;
}

/** What a finished turn leaves behind, written in the step that passes the turn. */
export interface TurnRecord {
  key: string;
  value: string;
  ttlSeconds: number;
  entries?: TranscriptEntry[];
}

/**
 * Per-conversation order across any number of workers, one lane at a time.
 *
 * Each lane numbers its work (seq) and records which job holds each number. A job's turn comes
 * when the lane's `next` pointer reaches its number; it passes when the work is done or has finally
 * failed. A job whose turn has not come is parked in BullMQ's delayed set (no attempt used) and
 * promoted by the job before it, with a slow poll as a safety net. A turn whose job is gone,
 * finished without moving the pointer (a crash), or was never stored is skipped, so one failed
 * message never blocks the next. Other conversations, and other lanes, are never held up.
 */
export function createConversationOrder({ redis, prefix, generateQueue, sendQueue, eventsQueue, gapGraceMs, ttlSeconds, historyMax, log }: OrderDeps) {
  const laneKeys = (ref: ConversationRef) => conversationKeys(prefix, ref.id).lane(laneOf(ref));
  const queueOf = (lane: Lane): Queue => (lane === 'in' ? generateQueue : lane === 'agent' ? sendQueue : eventsQueue);

  /** Wakes a parked job; one that is not parked (waiting, active, gone) refuses, which is fine. */
  async function promote(lane: Lane, entry: string | null): Promise<void> {
    const jobId = entry?.split('|')[0];
    if (!jobId || jobId === 'void') return;
    await new Job(queueOf(lane), JOB.generate, {}, {}, jobId).promote().catch(() => undefined);
  }

  /**
   * Passes the turn on from `ref` (a no-op unless it is ref's turn) and wakes the next job.
   * `record` is written in the same step (the send record of a reply, its transcript entries).
   */
  async function advance(ref: ConversationRef, record?: TurnRecord): Promise<void> {
    const k = laneKeys(ref);
    const history = conversationKeys(prefix, ref.id).history;
    const keys = record ? [k.next, k.jobs, record.key, history] : [k.next, k.jobs];
    const args: Array<string | number> = record
      ? [ref.seq, ttlSeconds, record.value, record.ttlSeconds, JSON.stringify((record.entries ?? []).map((e) => JSON.stringify(e))), historyMax]
      : [ref.seq, ttlSeconds];
    const successor = (await ADVANCE(redis, keys, args)) as string | null;
    await promote(laneOf(ref), successor);
  }

  /** Whether the holder of turn `seq` can never move the pointer itself. */
  async function isAbandoned(ref: ConversationRef, seq: number): Promise<boolean> {
    const entry = await redis.hget(laneKeys(ref).jobs, String(seq));
    if (!entry || entry === 'void') return true;
    const [jobId, at] = entry.split('|') as [string, string];
    const lane = laneOf(ref);
    const job = await queueOf(lane).getJob(jobId);
    if (!job) return Date.now() - Number(at) > gapGraceMs;
    if (!FINISHED.has(await job.getState())) return false;
    if (lane !== 'in') return true;
    // an inbound turn ends with its reply's send job
    const send = await sendQueue.getJob(sendJobIdFor(jobId));
    return !send || FINISHED.has(await send.getState());
  }

  /**
   * True when it is this job's turn (or it is a late manual retry). A job that has waited a while
   * skips turns that can never finish on the way.
   */
  async function isTurn(ref: ConversationRef, waitingSinceMs: number): Promise<boolean> {
    for (;;) {
      const next = Number((await redis.get(laneKeys(ref).next)) ?? 1);
      if (ref.seq <= next) return true;
      if (Date.now() - waitingSinceMs < STUCK_CHECK_AFTER_MS || !(await isAbandoned(ref, next))) return false;
      log.warn('skipping a conversation turn whose job will not finish', { conversationId: ref.id, lane: laneOf(ref), seq: next });
      await advance({ ...ref, seq: next });
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
    if (Number((await redis.get(laneKeys(ref).next)) ?? 1) >= ref.seq) await job.promote().catch(() => undefined);
    throw new DelayedError();
  }

  return { advance, waitForTurn };
}
export type ConversationOrder = ReturnType<typeof createConversationOrder>;
