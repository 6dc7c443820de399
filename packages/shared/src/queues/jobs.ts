import { z } from 'zod';

/** Exactly one Braze identifier, as /campaigns/trigger/send takes it. */
export const Recipient = z.union([
  z.object({ external_user_id: z.string().min(1) }).strict(),
  z.object({ braze_id: z.string().min(1) }).strict(),
]);
export type Recipient = z.infer<typeof Recipient>;

/** Where a message stands in its conversation: the per-user order (docs/delivery-guarantees.md, "Order"). */
export const ConversationRef = z.object({
  id: z.string().min(1),
  seq: z.number().int().positive(),
});
export type ConversationRef = z.infer<typeof ConversationRef>;

/** reply-generate: an inbound WhatsApp message waiting for its AI reply. */
export const GenerateReplyJob = z.object({
  v: z.literal(1),
  correlationId: z.string(),
  receivedAt: z.number(),
  conversation: ConversationRef,
  recipient: Recipient,
  text: z.string(),
  mediaCount: z.number().int().min(0),
  messageId: z.string().optional(),
});
export type GenerateReplyJob = z.infer<typeof GenerateReplyJob>;

/** reply-send: a finished reply waiting for Braze. Carries the text so a retry never re-runs the AI. */
export const SendReplyJob = z.object({
  v: z.literal(1),
  correlationId: z.string(),
  conversation: ConversationRef,
  recipient: Recipient,
  reply: z.string().min(1),
  kind: z.enum(['ai', 'fallback']),
  generateJobId: z.string(),
});
export type SendReplyJob = z.infer<typeof SendReplyJob>;

/** The send job of a generate job: a fixed id, so a re-run generate job cannot enqueue a second send. */
export const sendJobIdFor = (generateJobId: string) => `${generateJobId}-send`;
