import { ValidationError, type Recipient } from '@bridge/shared';
import { z } from 'zod';

/** Liquid renders ids as strings; a template without quotes renders a number, which must not have lost digits. */
const Id = z.union([z.string(), z.number().int('must be a string or a whole number')]).transform((v) => String(v).trim());

/** Fields the message does without: one of the wrong type is dropped rather than losing the message. */
const OPTIONAL_FIELDS = new Set(['phone_number', 'profile_name', 'media_urls']);

const WebhookBody = z.object({
  message: z.string({ message: 'must be a string' }).max(20_000, 'must be at most 20000 characters'),
  user_id: Id.optional(),
  braze_id: Id.optional(),
  message_id: Id.pipe(z.string().max(256, 'must be at most 256 characters')).optional(),
  phone_number: Id.optional(),
  profile_name: z.string().optional(),
  media_urls: z.union([z.string(), z.array(z.string())]).optional(),
});

/** How a sender without an external id is addressed: by braze_id, or by the alias Braze gives unknown numbers. */
export type UnknownSenderRecipient = 'braze_id' | 'user_alias';

export interface InboundMessage {
  recipient: Recipient;
  /** the sender's braze_id when the reply goes by external id */
  brazeId: string | undefined;
  text: string;
  mediaCount: number;
  mediaUrls: string[];
  messageId: string | undefined;
  /** phone and WhatsApp display name, for the agents (personal data) */
  contact: { phone?: string; name?: string };
}

export interface ReadInbound {
  inbound: InboundMessage;
  /** optional fields left out because their type was wrong */
  dropped: string[];
}

/**
 * Validates the parsed body. The reply goes to `user_id` (external id) when set. Otherwise to
 * `braze_id`, or, with `user_alias`, to the phone alias Braze creates for an unknown number
 * (`braze_id` still when there is no phone).
 */
export function toInboundMessage(fields: Record<string, unknown>, unknownSender: UnknownSenderRecipient = 'braze_id'): ReadInbound {
  const result = WebhookBody.safeParse(fields);
  const dropped: string[] = [];
  let body: z.infer<typeof WebhookBody>;
  if (result.success) {
    body = result.data;
  } else {
    const required = result.error.issues.filter((i) => !OPTIONAL_FIELDS.has(String(i.path[0])));
    if (required.length > 0) {
      const details = required.map((i) => ({ field: i.path.join('.') || 'body', problem: i.message }));
      throw new ValidationError('INVALID_PAYLOAD', `Invalid webhook body: ${details.map((d) => `${d.field} ${d.problem}`).join('; ')}`, details);
    }
    const rest = { ...fields };
    for (const { path } of result.error.issues) {
      const key = String(path[0]);
      if (!dropped.includes(key)) dropped.push(key);
      delete rest[key];
    }
    body = WebhookBody.parse(rest);
  }
  const phone = body.phone_number;
  const media = body.media_urls ?? [];

  const recipient: Recipient | undefined = body.user_id
    ? { external_user_id: body.user_id }
    : unknownSender === 'user_alias' && phone
      ? { user_alias: { alias_name: phone, alias_label: 'phone' } }
      : body.braze_id
        ? { braze_id: body.braze_id }
        : undefined;
  if (!recipient) {
    const fallback = unknownSender === 'user_alias' ? 'phone_number or braze_id' : 'braze_id';
    throw new ValidationError('MISSING_IDENTITY', `The body needs a non-empty user_id or ${fallback}`, [
      { field: 'user_id', problem: 'empty (unknown senders have no external id: add "braze_id": "{{${braze_id}}}" to the template)' },
    ]);
  }
  const mediaUrls = (Array.isArray(media) ? media : [media]).map((u) => u.trim()).filter((u) => u !== '');
  const contact = { ...(phone ? { phone } : {}), ...(body.profile_name?.trim() ? { name: body.profile_name.trim() } : {}) };
  const inbound: InboundMessage = {
    recipient,
    brazeId: 'external_user_id' in recipient && body.braze_id ? body.braze_id : undefined,
    text: body.message, mediaCount: mediaUrls.length, mediaUrls, messageId: body.message_id || undefined, contact,
  };
  return { inbound, dropped };
}
