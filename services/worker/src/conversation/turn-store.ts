import {
  TRANSCRIPT_MAX_ENTRIES, conversationKeys, hashFromPairs, luaScript, readEntry, readState,
  type ConversationState, type ProfileUpdate, type RedisClient, type ReplyKind, type ReplyPart, type TranscriptEntry,
} from '@bridge/shared';

/** A turn's committed decision: what a re-run carries out again instead of deciding (and paying) again. */
export interface TurnOutcome {
  route?: string;
  parts: Array<ReplyPart & { kind: ReplyKind }>;
  /** the ownership epoch the decision was made under */
  epoch: number;
  handoff?: { reason: string; by: string };
  /** a person owns the conversation: tell them about the message */
  toAgents?: { optOut: boolean; suggestedReply?: string };
  profile?: ProfileUpdate;
  failure?: { code: string; message: string };
  silent?: string;
  /** over the sender limit: no AI, no flow step, no profile write */
  limited?: boolean;
  /** the AI answered without usable text (AI_REFUSED, AI_EMPTY) */
  aiUnusable?: string;
}

/** The state fields a turn changes. `null` deletes. */
export interface StatePatch {
  set: Record<string, string>;
  del: string[];
  incr: Record<string, number>;
}

/** The outcome of an earlier run, or else the state and the transcript's tail. KEYS: outcome, state, history. ARGV: tail. */
const LOAD = luaScript(`
local outcome = redis.call('GET', KEYS[1])
if outcome then return {1, outcome} end
local rows = redis.call('LRANGE', KEYS[3], -tonumber(ARGV[1]), -1)
return {0, redis.call('HGETALL', KEYS[2]), rows}
`);

/**
 * Applies the turn's state changes, appends its transcript entries and records its outcome, at
 * once, only if nobody changed the owner meanwhile. Returns {1} done, {0, outcome} an earlier run
 * committed, {-1} the epoch moved (a person took over or gave back during the AI call).
 * KEYS: outcome, state, history. ARGV: epoch, outcome, patch, entries, ttl, historyMax, outcomeTtl.
 */
const COMMIT = luaScript(`
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
if tonumber(redis.call('HGET', KEYS[2], 'epoch') or '0') ~= tonumber(ARGV[1]) then return {-1} end
local patch = cjson.decode(ARGV[3])
for k, v in pairs(patch.set) do redis.call('HSET', KEYS[2], k, v) end
for _, k in ipairs(patch.del) do redis.call('HDEL', KEYS[2], k) end
for k, n in pairs(patch.incr) do redis.call('HINCRBY', KEYS[2], k, n) end
redis.call('EXPIRE', KEYS[2], ARGV[5])
local entries = cjson.decode(ARGV[4])
if #entries > 0 then
  for _, e in ipairs(entries) do redis.call('RPUSH', KEYS[3], e) end
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[6]), -1)
  redis.call('EXPIRE', KEYS[3], ARGV[5])
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[7])
return {1}
`);

/** Long enough for a crashed or stalled job to be re-run by another worker; short enough to keep Redis flat. */
const OUTCOME_TTL_SECONDS = 3_600;

export type Loaded = { outcome: TurnOutcome } | { outcome?: undefined; state: ConversationState; hasBrazeId: boolean; transcript: TranscriptEntry[] };
export type Committed = { status: 'committed' } | { status: 'earlier'; outcome: TurnOutcome } | { status: 'owner_changed' };

export function createTurnStore({ redis, prefix, ttlSeconds, tail }: { redis: RedisClient; prefix: string; ttlSeconds: number; tail: number }) {
  return {
    async load(conversationId: string, jobId: string): Promise<Loaded> {
      const k = conversationKeys(prefix, conversationId);
      const [has, a, b] = (await LOAD(redis, [k.outcome(jobId), k.state, k.history], [Math.max(1, tail)])) as [number, unknown, string[]?];
      if (has === 1) return { outcome: JSON.parse(a as string) as TurnOutcome };
      const hash = hashFromPairs(a as string[]);
      const transcript = tail === 0 ? [] : (b ?? []).map(readEntry).filter((e): e is TranscriptEntry => e !== undefined);
      return { state: readState(hash), hasBrazeId: hash.braze_id !== undefined, transcript };
    },

    async commit(conversationId: string, jobId: string, epoch: number, outcome: TurnOutcome, patch: StatePatch, entries: TranscriptEntry[]): Promise<Committed> {
      const k = conversationKeys(prefix, conversationId);
      const result = (await COMMIT(redis, [k.outcome(jobId), k.state, k.history], [
        epoch, JSON.stringify(outcome), JSON.stringify(patch), JSON.stringify(entries.map((e) => JSON.stringify(e))), ttlSeconds, TRANSCRIPT_MAX_ENTRIES, Math.min(OUTCOME_TTL_SECONDS, ttlSeconds),
      ])) as [number, string?];
      if (result[0] === 1) return { status: 'committed' };
      if (result[0] === 0) return { status: 'earlier', outcome: JSON.parse(result[1]!) as TurnOutcome };
      return { status: 'owner_changed' };
    },
  };
}
export type TurnStore = ReturnType<typeof createTurnStore>;
