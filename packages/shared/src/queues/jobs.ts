import { z } from 'zod';
import type { Lane } from './conversation-keys';

/** Exactly one Braze identifier, as /campaigns/trigger/send takes it. */
export const Recipient = z.union([
  z.object({ external_user_id: z.string().min(1) }).strict(),
  z.object({ braze_id: z.string().min(1) }).strict(),
  // how Braze keys a sender it did not know: an alias-only profile labelled "phone"
  z.object({ user_alias: z.object({ alias_name: z.string().min(1), alias_label: z.string().min(1) }).strict() }).strict(),
]);
export type Recipient = z.infer<typeof Recipient>;

/** Where a piece of work stands in its conversation: lane `in` unless said otherwise (docs/delivery-guarantees.md, "Order"). */
export const ConversationRef = z.object({
  id: z.string().min(1),
  seq: z.number().int().positive(),
  lane: z.string().regex(/^(in|agent|ev|ev:[a-z]+)$/).optional(),
});
export type ConversationRef = z.infer<typeof ConversationRef>;
export const laneOf = (ref: ConversationRef): Lane => (ref.lane ?? 'in') as Lane;

/** What the webhook told us about the sender besides the identity (personal data: kept in Redis only as long as the conversation). */
export const Contact = z.object({ phone: z.string().optional(), name: z.string().optional() });
export type Contact = z.infer<typeof Contact>;

/** reply-generate: an inbound WhatsApp message waiting for its turn. */
export const GenerateReplyJob = z.object({
  v: z.literal(1),
  correlationId: z.string(),
  receivedAt: z.number(),
  conversation: ConversationRef,
  recipient: Recipient,
  /** the sender's braze_id when the reply goes by external id (lets agents find the conversation by either) */
  brazeId: z.string().optional(),
  text: z.string(),
  mediaCount: z.number().int().min(0),
  /** the inbound media's URLs (Braze keeps them valid for 7 days) */
  mediaUrls: z.array(z.string()).optional(),
  messageId: z.string().optional(),
  /** a route named by the webhook's path (/webhooks/braze/whatsapp/<route>) */
  route: z.string().optional(),
  contact: Contact.optional(),
  /** over the sender's limit (SENDER_RATE_LIMIT_PER_MINUTE): kept in order, never sent to the AI */
  limited: z.literal(true).optional(),
});
export type GenerateReplyJob = z.infer<typeof GenerateReplyJob>;

export const REPLY_KINDS = ['ai', 'fallback', 'refusal', 'fixed', 'flow', 'handoff', 'agent'] as const;
export type ReplyKind = (typeof REPLY_KINDS)[number];

/** One message to the customer; campaign and trigger properties default to the worker's configuration. */
export const ReplyPart = z.object({
  text: z.string().min(1),
  /** the part's own kind when a reply mixes them (a flow's timeout text before an AI answer) */
  kind: z.enum(REPLY_KINDS).optional(),
  campaignId: z.string().min(1).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});
export type ReplyPart = z.infer<typeof ReplyPart>;

/** Custom attributes and events for one user's Braze profile (POST /users/track). */
export const ProfileUpdate = z.object({
  attributes: z.record(z.string(), z.unknown()),
  events: z.array(z.object({ name: z.string().min(1), time: z.string().optional(), properties: z.record(z.string(), z.unknown()).optional() })),
});
export type ProfileUpdate = z.infer<typeof ProfileUpdate>;

/** Where an agent's reply was written, when another system holds it (a Chatwoot message id, say): carried into its events. */
export const MessageSource = z.object({ system: z.string().min(1), messageId: z.string().min(1) });
export type MessageSource = z.infer<typeof MessageSource>;

/** Replies the bot decided on: never delivered once a person has taken the conversation over since. */
export const isBotKind = (kind: ReplyKind) => kind !== 'agent' && kind !== 'handoff';

const SendReplyFields = z.object({
  v: z.literal(1),
  correlationId: z.string(),
  conversation: ConversationRef,
  recipient: Recipient,
  kind: z.enum(REPLY_KINDS),
  parts: z.array(ReplyPart).min(1),
  /** the job whose outcome this is: the turn's generate job, or for an agent reply the send job itself */
  turnId: z.string(),
  /** the conversation's ownership epoch when the reply was decided (bot kinds are dropped if it changed) */
  epoch: z.number().int().min(0).optional(),
  agentName: z.string().optional(),
  source: MessageSource.optional(),
  /** when the ingest received the message this replies to (the 24-hour window when no later one is known) */
  receivedAt: z.number().optional(),
  /** the turn's profile update, written once the turn is over */
  profile: ProfileUpdate.optional(),
});

/**
 * reply-send: finished replies waiting for Braze, in order. Carries the text so a retry never re-runs
 * the AI. Jobs stored before parts existed (`reply` + `generateJobId`) are read as one part.
 */
export const SendReplyJob = z.preprocess((raw) => {
  const old = raw as { reply?: unknown; generateJobId?: unknown; parts?: unknown; turnId?: unknown } | null;
  if (old && typeof old === 'object' && old.parts === undefined && typeof old.reply === 'string') {
    const { reply, generateJobId, ...rest } = old;
    return { ...rest, parts: [{ text: reply }], turnId: old.turnId ?? generateJobId };
  }
  return raw;
}, SendReplyFields);
export type SendReplyJob = z.infer<typeof SendReplyFields>;

/** The send job of a generate job: a fixed id, so a re-run generate job cannot enqueue a second send. */
export const sendJobIdFor = (generateJobId: string) => `${generateJobId}-send`;

/** profile-sync: one turn's writes to one user's Braze profile. */
export const ProfileSyncJob = z.object({
  v: z.literal(1),
  recipient: Recipient,
  profile: ProfileUpdate,
});
export type ProfileSyncJob = z.infer<typeof ProfileSyncJob>;
export const profileJobIdFor = (turnId: string) => `${turnId}-profile`;
