import { chatwootKeys, luaScript, type RedisClient } from '@bridge/shared';

/** How the bridge's conversation is linked to Chatwoot, and how far the current event got. */
export interface ChatwootLink {
  contactId?: number;
  sourceId?: string;
  conversationId?: number;
  /** the time of the latest transcript entry Chatwoot has (ms); later ones are posted at the next handoff */
  mirroredAt: number;
  /** calls already made for an event whose delivery did not finish */
  step?: { eventId: string; done: number };
}

/**
 * A resolve the connector asked for itself is remembered this long, so its own webhook does not
 * give back a conversation that a new handoff reopened since (Chatwoot sends it within seconds, or never).
 */
const OWN_RESOLVE_TTL_SECONDS = 120;

/** Event finished: forget its progress; Chatwoot has the transcript up to `mirrored` (never moved back). KEYS: link. ARGV: eventId, mirrored, ttl. */
const FINISH = luaScript(`
local step = redis.call('HGET', KEYS[1], 'step')
if step and string.sub(step, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then redis.call('HDEL', KEYS[1], 'step') end
if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[1], 'mirrored') or '0') then redis.call('HSET', KEYS[1], 'mirrored', ARGV[2]) end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
`);

/**
 * The Chatwoot ids the connector learns, kept as long as the conversation (CONVERSATION_TTL_HOURS):
 * per bridge conversation a hash (contact, source_id, Chatwoot conversation, progress) and the set
 * of message ids it posted, in the conversation's slot; globally, Chatwoot conversation -> bridge conversation.
 */
export function createChatwootStore({ redis, prefix, ttlSeconds }: { redis: RedisClient; prefix: string; ttlSeconds: number }) {
  const keys = chatwootKeys(prefix);
  const [linkKey, postedKey, reverseKey, ownResolveKey] = [keys.link, keys.posted, keys.reverse, keys.resolving];
  const int = (v: string | undefined) => (v ? Number(v) : undefined);

  return {
    async load(id: string): Promise<ChatwootLink> {
      const h = await redis.hgetall(linkKey(id));
      const [eventId, done] = h.step ? [h.step.slice(0, h.step.lastIndexOf('|')), Number(h.step.slice(h.step.lastIndexOf('|') + 1))] : [];
      return {
        contactId: int(h.contact), sourceId: h.source || undefined, conversationId: int(h.conversation), mirroredAt: Number(h.mirrored ?? 0),
        ...(eventId !== undefined ? { step: { eventId, done: done! } } : {}),
      };
    },

    async saveContact(id: string, contactId: number, sourceId: string): Promise<void> {
      await redis.multi().hset(linkKey(id), 'contact', contactId, 'source', sourceId).expire(linkKey(id), ttlSeconds).exec();
    },

    async saveConversation(id: string, chatwootId: number): Promise<void> {
      await redis.multi().hset(linkKey(id), 'conversation', chatwootId).hdel(linkKey(id), 'step').expire(linkKey(id), ttlSeconds).exec();
      await redis.set(reverseKey(chatwootId), id, 'EX', ttlSeconds);
    },

    /** The Chatwoot contact is gone (deleted or merged there): the next event looks it up again. */
    async forgetContact(id: string): Promise<void> {
      await redis.hdel(linkKey(id), 'contact', 'source');
    },

    /** The Chatwoot conversation is gone (deleted there): the next event opens another. */
    async forgetConversation(id: string, chatwootId: number): Promise<void> {
      await redis.hdel(linkKey(id), 'conversation', 'step');
      await redis.del(reverseKey(chatwootId));
    },

    /** One more call of an event was made; `postedId` is the message it created. */
    async progress(id: string, eventId: string, done: number, postedId?: number): Promise<void> {
      const tx = redis.multi().hset(linkKey(id), 'step', `${eventId}|${done}`).expire(linkKey(id), ttlSeconds);
      if (postedId !== undefined) tx.sadd(postedKey(id), postedId).expire(postedKey(id), ttlSeconds);
      await tx.exec();
    },

    async rememberPosted(id: string, messageId: number): Promise<void> {
      await redis.multi().sadd(postedKey(id), messageId).expire(postedKey(id), ttlSeconds).exec();
    },

    async finish(id: string, eventId: string, mirroredAt: number, chatwootId: number): Promise<void> {
      await FINISH(redis, [linkKey(id)], [eventId, Math.round(mirroredAt) || 0, ttlSeconds]);
      await redis.expire(reverseKey(chatwootId), ttlSeconds);
    },

    async bridgeConversationOf(chatwootId: number): Promise<string | undefined> {
      return (await redis.get(reverseKey(chatwootId))) ?? undefined;
    },

    async isOwnMessage(id: string, messageId: number): Promise<boolean> {
      return (await redis.sismember(postedKey(id), messageId)) === 1;
    },

    async markOwnResolve(chatwootId: number): Promise<void> {
      await redis.set(ownResolveKey(chatwootId), '1', 'EX', OWN_RESOLVE_TTL_SECONDS);
    },
    /** true once for a resolve the connector asked for */
    async takeOwnResolve(chatwootId: number): Promise<boolean> {
      return (await redis.del(ownResolveKey(chatwootId))) === 1;
    },
    async clearOwnResolve(chatwootId: number): Promise<void> {
      await redis.del(ownResolveKey(chatwootId));
    },
  };
}
export type ChatwootStore = ReturnType<typeof createChatwootStore>;
