import { conversationKeys, luaScript, type RedisClient } from '@bridge/shared';
import type { ChatMessage } from '../clients/ai.client';

export interface HistoryDeps {
  redis: RedisClient;
  prefix: string;
  maxTurns: number;
  ttlSeconds: number;
}

/** The reply an earlier run of the job paid for, or else the conversation's recent turns. */
const LOAD = luaScript(`
local reply = redis.call('GET', KEYS[1])
if reply then return {1, reply} end
if tonumber(ARGV[1]) == 0 then return {0} end
local rows = redis.call('LRANGE', KEYS[2], -tonumber(ARGV[1]), -1)
table.insert(rows, 1, 0)
return rows
`);

/** Saves the reply and appends the turn at once, so a re-run neither pays again nor repeats a turn. */
const RECORD = luaScript(`
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[5])
if tonumber(ARGV[1]) > 0 then
  redis.call('RPUSH', KEYS[2], ARGV[2], ARGV[4])
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[1]), -1)
  redis.call('EXPIRE', KEYS[2], ARGV[6])
end
return 1
`);

/** Long enough for a crashed or stalled job to be re-run by another worker; short enough to keep Redis flat. */
const REPLY_TTL_SECONDS = 3_600;

export type Prepared = { reply: string } | { reply: null; history: ChatMessage[] };

/** A conversation's recent turns in a Redis list, bounded and expiring after a quiet period. */
export function createConversationHistory({ redis, prefix, maxTurns, ttlSeconds }: HistoryDeps) {
  const keep = maxTurns * 2;
  return {
    /** One round trip: the reply this job already has, or the history to ask the AI with. */
    async prepare(conversationId: string, jobId: string): Promise<Prepared> {
      const keys = conversationKeys(prefix, conversationId);
      const [hasReply, ...rest] = (await LOAD(redis, [keys.reply(jobId), keys.history], [keep])) as [number, ...string[]];
      if (hasReply === 1) return { reply: rest[0]! };
      return { reply: null, history: rest.map((r) => JSON.parse(r) as ChatMessage) };
    },

    async recordTurn(conversationId: string, jobId: string, user: string, assistant: string): Promise<void> {
      const keys = conversationKeys(prefix, conversationId);
      await RECORD(redis, [keys.reply(jobId), keys.history], [
        keep, JSON.stringify({ role: 'user', content: user }), assistant, JSON.stringify({ role: 'assistant', content: assistant }), REPLY_TTL_SECONDS, ttlSeconds,
      ]);
    },
  };
}
export type ConversationHistory = ReturnType<typeof createConversationHistory>;
