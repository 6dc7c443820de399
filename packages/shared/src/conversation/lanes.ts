import { luaScript } from '../redis/lua-script';
import type { RedisClient } from '../redis/create-redis';
import { SENDER_RATE_WINDOW_MS, conversationKeys, type Lane } from '../queues/conversation-keys';

/**
 * Hands out the next place in a lane and, with a dedupe key, claims it, in one atomic step. A
 * dedupe key seen before returns its "<jobId>|<seq>|<p or s>[|1]" (p: being stored, s: stored;
 * 1: over the sender limit); the first place of a lane resets its turn pointer. With ARGV[6] = 1
 * it also records, in the state hash, when the ingest received the conversation's latest message
 * (the 24-hour window). With a limit (ARGV[7] > 0) it counts the new place in the window's counter
 * and says whether the place is over the limit. Duplicates are not counted.
 * KEYS: seq, jobs, next, dedupe, state, counter. ARGV: jobId, now, ttl, dedupeTtl, hasDedupe,
 * setLastInbound, limit, counterTtl. Returns {1, seq, limited} or {0, earlier dedupe value}.
 * (Without a dedupe key or a limit, KEYS[4] and KEYS[6] are unused but still keys of the
 * conversation, as Redis Cluster requires.)
 */
const CLAIM = luaScript(`
local dedupe = ARGV[5] == '1'
if ARGV[6] == '1' then
  local last = tonumber(redis.call('HGET', KEYS[5], 'last_in') or '0')
  if tonumber(ARGV[2]) > last then redis.call('HSET', KEYS[5], 'last_in', ARGV[2]) end
  redis.call('EXPIRE', KEYS[5], ARGV[3])
end
if dedupe then
  local existing = redis.call('GET', KEYS[4])
  if existing then return {0, existing} end
end
local limited = 0
if tonumber(ARGV[7]) > 0 then
  local counted = redis.call('INCR', KEYS[6])
  if counted == 1 then redis.call('EXPIRE', KEYS[6], ARGV[8]) end
  if counted > tonumber(ARGV[7]) then limited = 1 end
end
local seq = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if seq == 1 then redis.call('DEL', KEYS[3]) end
redis.call('HSET', KEYS[2], seq, ARGV[1] .. '|' .. ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if dedupe then redis.call('SET', KEYS[4], ARGV[1] .. '|' .. seq .. '|p' .. (limited == 1 and '|1' or ''), 'EX', ARGV[4]) end
return {1, tostring(seq), limited}
`);

export interface Place {
  jobId: string;
  seq: number;
  /** an earlier claim of the same dedupe key; `stored` once its job was added */
  earlier?: 'claimed' | 'stored';
  /** over the sender limit of its window (inbound lane with a limit only) */
  limited?: boolean;
}

export interface ClaimOptions {
  prefix: string;
  conversationId: string;
  lane: Lane;
  /** the job id to use if the place is new */
  jobId: string;
  now: number;
  ttlSeconds: number;
  /** makes the claim idempotent: the same key gets the same job id and place */
  dedupe?: { key: string; ttlSeconds: number };
  /** inbound messages only: record the time for the 24-hour window */
  inbound?: boolean;
  /** places allowed per clock window (SENDER_RATE_WINDOW_MS of `now`); later ones are `limited` */
  limitPerWindow?: number;
}

export async function claimPlace(redis: RedisClient, o: ClaimOptions): Promise<Place> {
  const keys = conversationKeys(o.prefix, o.conversationId);
  const lane = keys.lane(o.lane);
  const dedupeKey = o.dedupe ? keys.dedupe(o.dedupe.key) : lane.seq;
  const limit = o.limitPerWindow ?? 0;
  const window = Math.floor(o.now / SENDER_RATE_WINDOW_MS);
  const counterKey = limit > 0 ? keys.senderCount(window) : lane.seq;
  // the counter is only needed until its window ends (by the caller's clock), plus a margin
  const counterTtl = Math.ceil(((window + 1) * SENDER_RATE_WINDOW_MS - o.now) / 1000) + 5;
  const [fresh, value, limited] = (await CLAIM(redis, [lane.seq, lane.jobs, lane.next, dedupeKey, keys.state, counterKey],
    [o.jobId, o.now, o.ttlSeconds, o.dedupe?.ttlSeconds ?? 0, o.dedupe ? 1 : 0, o.inbound ? 1 : 0, limit, counterTtl])) as [number, string, number?];
  if (fresh === 1) return { jobId: o.jobId, seq: Number(value), ...(limited === 1 ? { limited: true } : {}) };
  const [jobId, seq, state, over] = value.split('|') as [string, string, string, string?];
  return { jobId, seq: Number(seq), earlier: state === 's' ? 'stored' : 'claimed', ...(over === '1' ? { limited: true } : {}) };
}

/**
 * After the job of a deduped place was added: a later claim of the key is a duplicate. (XX: a key
 * erased or expired meanwhile is not written again, without a TTL.)
 */
export function markPlaceStored(redis: RedisClient, prefix: string, conversationId: string, dedupeKey: string, place: Place): Promise<unknown> {
  return redis.set(conversationKeys(prefix, conversationId).dedupe(dedupeKey), `${place.jobId}|${place.seq}|s`, 'KEEPTTL', 'XX');
}

/** A place whose job was never stored: its turn is skipped at once instead of after the grace time. */
export function voidPlace(redis: RedisClient, prefix: string, conversationId: string, lane: Lane, seq: number, ttlSeconds: number): Promise<unknown> {
  const jobs = conversationKeys(prefix, conversationId).lane(lane).jobs;
  return redis.multi().hset(jobs, String(seq), 'void').expire(jobs, ttlSeconds).exec();
}
