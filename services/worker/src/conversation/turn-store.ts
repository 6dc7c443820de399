import {
  TRANSCRIPT_MAX_ENTRIES, conversationKeys, hashFromPairs, luaScript, readEntry, readState,
  type ConversationState, type ProfileUpdate, type RedisClient, type ReplyKind, type ReplyPart, type TranscriptEntry,
  appendTranscriptLua,
} from '@bridge/shared';
import type { RecordedRound } from '../ai/ai-reply';

/** A turn's committed decision: what a re-run carries out again instead of deciding (and paying) again. */
export interface TurnOutcome {
  route?: string;
  parts: Array<ReplyPart & { kind: ReplyKind }>;
  /** the ownership epoch the decision was made under */
  epoch: number;
  handoff?: { reason: string; by: string };
  /** a person owns the conversation: tell them about the message */
  toAgents?: { optOut: boolean; suggestedReply?: string; transcript?: string };
  profile?: ProfileUpdate;
  failure?: { code: string; message: string };
  silent?: string;
  /** the AI answered without usable text (AI_REFUSED, AI_EMPTY, AI_TRUNCATED) */
  aiUnusable?: string;
  /** the AI's tool calls that took effect, in order */
  tools?: string[];
  /** later turns of the same burst this turn answered (COALESCE_WINDOW_MS) */
  absorbed?: string[];
  /** this turn's message was answered by the turn of this job */
  absorbedBy?: string;
  /** the burst got no reply: an opt-out word or a handoff later in it won */
  burstDropped?: 'opt_out' | 'handoff';
}

/**
 * What a turn already did before its commit, so a re-run does not do it again: the AI's tool
 * rounds (by round; each call by its id) and transcripts of voice messages (by job and media index).
 */
export interface TurnWork {
  rounds: RecordedRound[];
  transcripts: Record<string, Record<string, string>>;
}

export const workFields = {
  round: (index: number) => `r:${index}`,
  transcript: (jobId: string, media: number) => `t:${jobId}:${media}`,
};

function readWork(pairs: string[]): TurnWork {
  const work: TurnWork = { rounds: [], transcripts: {} };
  const hash = hashFromPairs(pairs);
  for (const [field, value] of Object.entries(hash)) {
    const [type, a, b] = field.split(':') as [string, string, string?];
    try {
      if (type === 'r') work.rounds[Number(a)] = JSON.parse(value) as RecordedRound;
      else if (type === 't' && b !== undefined) (work.transcripts[a] ??= {})[b] = value;
    } catch {
      // a record that cannot be read is redone
    }
  }
  // replay stops at the first round missing
  const gap = work.rounds.findIndex((r) => r === undefined);
  if (gap >= 0) work.rounds.length = gap;
  return work;
}

/** The state fields a turn changes. `null` deletes. */
export interface StatePatch {
  set: Record<string, string>;
  del: string[];
  incr: Record<string, number>;
}

/** The outcome of an earlier run, or else the state, the transcript's tail and the turn's work so far. KEYS: outcome, state, history, work. ARGV: tail. */
const LOAD = luaScript(`
local outcome = redis.call('GET', KEYS[1])
if outcome then return {1, outcome} end
local rows = redis.call('LRANGE', KEYS[3], -tonumber(ARGV[1]), -1)
return {0, redis.call('HGETALL', KEYS[2]), rows, redis.call('HGETALL', KEYS[4])}
`);

/** Records some of a turn's work. KEYS: work. ARGV: ttl, field, value[, field, value...]. */
const RECORD_WORK = luaScript(`
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`);

/**
 * Applies the turn's state changes, appends its transcript entries and records its outcome, at
 * once, only if nobody changed the owner meanwhile; the turn's work record goes, and the turns of a
 * burst it answered get their outcome too. Returns {1} done, {0, outcome} an earlier run
 * committed, {-1} the epoch moved (a person took over or gave back during the AI call).
 * KEYS: outcome, state, history, work, absorbed outcomes... ARGV: epoch, outcome, patch, entries,
 * ttl, historyMax, outcomeTtl, absorbed outcome.
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
if #entries > 0 then ${appendTranscriptLua('KEYS[3]', 'entries', 'ARGV[6]', 'ARGV[5]')} end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[7])
redis.call('DEL', KEYS[4])
for i = 5, #KEYS do redis.call('SET', KEYS[i], ARGV[8], 'NX', 'EX', ARGV[7]) end
return {1}
`);

/** Long enough for a crashed or stalled job to be re-run by another worker; short enough to keep Redis flat. */
const OUTCOME_TTL_SECONDS = 3_600;

export type Loaded = { outcome: TurnOutcome } | { outcome?: undefined; state: ConversationState; hasBrazeId: boolean; transcript: TranscriptEntry[]; work: TurnWork };
export type Committed = { status: 'committed' } | { status: 'earlier'; outcome: TurnOutcome } | { status: 'owner_changed' };

export function createTurnStore({ redis, prefix, ttlSeconds, tail }: { redis: RedisClient; prefix: string; ttlSeconds: number; tail: number }) {
  return {
    async load(conversationId: string, jobId: string): Promise<Loaded> {
      const k = conversationKeys(prefix, conversationId);
      const [has, a, b, c] = (await LOAD(redis, [k.outcome(jobId), k.state, k.history, k.tools(jobId)], [Math.max(1, tail)])) as [number, unknown, string[]?, string[]?];
      if (has === 1) return { outcome: JSON.parse(a as string) as TurnOutcome };
      const hash = hashFromPairs(a as string[]);
      const transcript = tail === 0 ? [] : (b ?? []).map(readEntry).filter((e): e is TranscriptEntry => e !== undefined);
      return { state: readState(hash), hasBrazeId: hash.braze_id !== undefined, transcript, work: readWork(c ?? []) };
    },

    /** Records work of the turn `jobId` (fields of workFields) before it counts. */
    async record(conversationId: string, jobId: string, fields: Record<string, string>): Promise<void> {
      await RECORD_WORK(redis, [conversationKeys(prefix, conversationId).tools(jobId)], [OUTCOME_TTL_SECONDS, ...Object.entries(fields).flat()]);
    },

    async commit(conversationId: string, jobId: string, epoch: number, outcome: TurnOutcome, patch: StatePatch, entries: TranscriptEntry[]): Promise<Committed> {
      const k = conversationKeys(prefix, conversationId);
      const absorbed = outcome.absorbed ?? [];
      const result = (await COMMIT(redis, [k.outcome(jobId), k.state, k.history, k.tools(jobId), ...absorbed.map((id) => k.outcome(id))], [
        epoch, JSON.stringify(outcome), JSON.stringify(patch), JSON.stringify(entries.map((e) => JSON.stringify(e))), ttlSeconds, TRANSCRIPT_MAX_ENTRIES, OUTCOME_TTL_SECONDS,
        JSON.stringify({ parts: [], epoch, absorbedBy: jobId } satisfies TurnOutcome),
      ])) as [number, string?];
      if (result[0] === 1) return { status: 'committed' };
      if (result[0] === 0) return { status: 'earlier', outcome: JSON.parse(result[1]!) as TurnOutcome };
      return { status: 'owner_changed' };
    },
  };
}
export type TurnStore = ReturnType<typeof createTurnStore>;
