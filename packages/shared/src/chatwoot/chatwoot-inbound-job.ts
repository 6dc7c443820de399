import { z } from 'zod';
import { outboundUrlEnv } from '../config/parse-env';
import type { ErasureHook } from '../privacy/erase-person';
import type { RedisClient } from '../redis/create-redis';

const ChatwootId = z.number().int().positive();

/** Where a Chatwoot webhook happened: the conversation's display id (the one in API paths) and its inbox. */
const ChatwootPlace = z.object({ conversationId: ChatwootId, inboxId: ChatwootId.optional() });

/**
 * chatwoot-inbound: what the ingest kept of one Chatwoot webhook that needs the worker: an agent's
 * reply to send to WhatsApp, or a conversation resolved in Chatwoot (the user goes back to the bot).
 */
export const ChatwootInboundJob = z.discriminatedUnion('kind', [
  z.object({
    v: z.literal(1),
    kind: z.literal('reply'),
    receivedAt: z.number(),
    chatwoot: ChatwootPlace.extend({ messageId: ChatwootId }),
    /** the message's content; empty when it has attachments only */
    text: z.string(),
    attachments: z.number().int().min(0),
    agentName: z.string().optional(),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal('resolved'),
    receivedAt: z.number(),
    chatwoot: ChatwootPlace,
  }),
]);
export type ChatwootInboundJob = z.infer<typeof ChatwootInboundJob>;


/** The keys the Chatwoot connector keeps (with the conversation's TTL): one definition for it and for erasure. */
export function chatwootKeys(prefix: string) {
  return {
    /** hash: contact, source_id, Chatwoot conversation, progress (the conversation's slot) */
    link: (id: string) => `${prefix}:conv:{${id}}:chatwoot`,
    /** set: ids of the messages the connector posted (the conversation's slot) */
    posted: (id: string) => `${prefix}:conv:{${id}}:chatwoot:posted`,
    /** Chatwoot conversation -> bridge conversation */
    reverse: (chatwootId: number) => `${prefix}:chatwoot:conv:${chatwootId}`,
    /** set while the connector itself resolves a Chatwoot conversation */
    resolving: (chatwootId: number) => `${prefix}:chatwoot:resolving:${chatwootId}`,
  };
}

/** Erasure of a person: the connector's global keys and chatwoot-inbound jobs of their conversations. */
export function chatwootErasureHook(redis: RedisClient, prefix: string): ErasureHook {
  const keys = chatwootKeys(prefix);
  return {
    async prepare(conversationIds) {
      const linked = await Promise.all(conversationIds.map((id) => redis.hget(keys.link(id), 'conversation')));
      const chatwootIds = new Set(linked.filter((v): v is string => Boolean(v)).map(Number));
      return {
        keys: [...chatwootIds].flatMap((n) => [keys.reverse(n), keys.resolving(n)]),
        ownsJob: (data) => chatwootIds.has(Number((data as { chatwoot?: { conversationId?: unknown } } | undefined)?.chatwoot?.conversationId)),
      };
    },
  };
}

/** Read by the worker (the connector) and the ingest (which then requires the webhook's secret or token). */
export const ChatwootUrlEnv = outboundUrlEnv().optional()
  .describe('Your Chatwoot (e.g. https://chatwoot.example.com, or https://app.chatwoot.com): handed-off conversations then open in its API inbox CHATWOOT_INBOX_ID, and agents answer there. The ingest then requires CHATWOOT_WEBHOOK_SECRET or CHATWOOT_WEBHOOK_TOKEN, so a bridge that writes to Chatwoot also takes its replies.');
