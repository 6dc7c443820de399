import { z } from 'zod';

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

