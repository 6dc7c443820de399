import { conversationKeys, type RedisClient } from '@bridge/shared';
import type { ChatMessage } from '../clients/ai.client';

export interface HistoryDeps {
  redis: RedisClient;
  prefix: string;
  maxTurns: number;
  ttlSeconds: number;
}

/** A conversation's recent turns in a Redis list, bounded and expiring after a quiet period. */
export function createConversationHistory({ redis, prefix, maxTurns, ttlSeconds }: HistoryDeps) {
  const keep = maxTurns * 2;
  return {
    async load(conversationId: string): Promise<ChatMessage[]> {
      if (keep === 0) return [];
      const rows = await redis.lrange(conversationKeys(prefix, conversationId).history, -keep, -1);
      return rows.map((r) => JSON.parse(r) as ChatMessage);
    },

    /** The reply a job already paid for, if an earlier run of it got that far. */
    async cachedReply(conversationId: string, jobId: string): Promise<string | null> {
      return redis.get(conversationKeys(prefix, conversationId).reply(jobId));
    },

    /** Saves the reply and appends the turn in one transaction, so a re-run neither pays again nor repeats a turn. */
    async recordTurn(conversationId: string, jobId: string, user: string, assistant: string): Promise<void> {
      const keys = conversationKeys(prefix, conversationId);
      const tx = redis.multi().set(keys.reply(jobId), assistant, 'EX', 7 * 86_400);
      if (keep > 0) {
        tx.rpush(keys.history, JSON.stringify({ role: 'user', content: user }), JSON.stringify({ role: 'assistant', content: assistant }))
          .ltrim(keys.history, -keep, -1)
          .expire(keys.history, ttlSeconds);
      }
      await tx.exec();
    },
  };
}
export type ConversationHistory = ReturnType<typeof createConversationHistory>;
