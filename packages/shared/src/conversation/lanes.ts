import { luaScript } from '../redis/lua-script';
import type { RedisClient } from '../redis/create-redis';
import { conversationKeys, type Lane } from '../queues/conversation-keys';

/**
 * Hands out the next place in a lane and, with a dedupe key, claims it, in one atomic step. A
 * dedupe key seen before returns its "<jobId>|<seq>|<p or s>" (p: being stored, s: stored); the
 * first place of a lane resets its turn pointer. With ARGV[6] = 1 it also records, in the state
 * hash, when the ingest received the conversation's latest message (the 24-hour window).
 * KEYS: seq, jobs, next, dedupe, state. ARGV: jobId, now, ttl, dedupeTtl, hasDedupe, setLastInbound.
 * (Without a dedupe key KEYS[4] is unused but still a key of the conversation, as Redis Cluster requires.)
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
local seq = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if seq == 1 then redis.call('DEL', KEYS[3]) end
redis.call('HSET', KEYS[2], seq, ARGV[1] .. '|' .. ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if dedupe then redis.call('SET', KEYS[4], ARGV[1] .. '|' .. seq .. '|p', 'EX', ARGV[4]) end
return {1, tostring(seq)}
`);

export interface Place {
  jobId: string;
  seq: number;
  /** an earlier claim of the same dedupe key; `stored` once its job was added */
  earlier?: 'claimed' | 'stored';
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
}

export async function claimPlace(redis: RedisClient, o: ClaimOptions): Promise<Place> {
  const keys = conversationKeys(o.prefix, o.conversationId);
  const lane = keys.lane(o.lane);
  const dedupeKey = o.dedupe ? keys.dedupe(o.dedupe.key) : lane.seq;
  const [fresh, value] = (await CLAIM(redis, [lane.seq, lane.jobs, lane.next, dedupeKey, keys.state],
    [o.jobId, o.now, o.ttlSeconds, o.dedupe?.ttlSeconds ?? 0, o.dedupe ? 1 : 0, o.inbound ? 1 : 0])) as [number, string];
  if (fresh === 1) return { jobId: o.jobId, seq: Number(value) };
  const [jobId, seq, state] = value.split('|') as [string, string, string];
  return { jobId, seq: Number(seq), earlier: state === 's' ? 'stored' : 'claimed' };
}

/** After the job of a deduped place was added: a later claim of the key is a duplicate. */
export function markPlaceStored(redis: RedisClient, prefix: string, conversationId: string, dedupeKey: string, place: Place): Promise<unknown> {
  return redis.set(conversationKeys(prefix, conversationId).dedupe(dedupeKey), `${place.jobId}|${place.seq}|s`, 'KEEPTTL');
}

/** A place whose job was never stored: its turn is skipped at once instead of after the grace time. */
export function voidPlace(redis: RedisClient, prefix: string, conversationId: string, lane: Lane, seq: number): Promise<unknown> {
  return redis.hset(conversationKeys(prefix, conversationId).lane(lane).jobs, String(seq), 'void');
}
