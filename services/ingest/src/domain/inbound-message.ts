import { ValidationError, type Recipient } from '@bridge/shared';
import { z } from 'zod';

/** Liquid renders ids as strings; a template without quotes renders a number. */
const Id = z.union([z.string(), z.number()]).transform((v) => String(v).trim());

const WebhookBody = z.object({
  message: z.string({ message: 'must be a string' }).max(20_000, 'must be at most 20000 characters'),
  user_id: Id.optional(),
  braze_id: Id.optional(),
  phone_number: Id.optional(),
  profile_name: z.string().optional(),
  media_urls: z.union([z.string(), z.array(z.string())]).optional(),
  message_id: Id.pipe(z.string().max(256, 'must be at most 256 characters')).optional(),
});

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

/** Validates the parsed body; the reply goes to `user_id` (external id) when set, else `braze_id`. */
export function toInboundMessage(fields: Record<string, unknown>): InboundMessage {
  const result = WebhookBody.safeParse(fields);
  if (!result.success) {
    const details = result.error.issues.map((i) => ({ field: i.path.join('.') || 'body', problem: i.message }));
    throw new ValidationError('INVALID_PAYLOAD', `Invalid webhook body: ${details.map((d) => `${d.field} ${d.problem}`).join('; ')}`, details);
  }
  const body = result.data;
  const recipient: Recipient | undefined = body.user_id
    ? { external_user_id: body.user_id }
    : body.braze_id
      ? { braze_id: body.braze_id }
      : undefined;
  if (!recipient) {
    throw new ValidationError('MISSING_IDENTITY', 'The body needs a non-empty user_id or braze_id', [
      { field: 'user_id', problem: 'empty (unknown senders have no external id: add "braze_id": "{{${braze_id}}}" to the template)' },
    ]);
  }
  const media = body.media_urls === undefined ? [] : Array.isArray(body.media_urls) ? body.media_urls : [body.media_urls];
  const mediaUrls = media.map((u) => u.trim()).filter((u) => u !== '');
  const contact = { ...(body.phone_number ? { phone: body.phone_number } : {}), ...(body.profile_name?.trim() ? { name: body.profile_name.trim() } : {}) };
  return {
    recipient,
    brazeId: 'external_user_id' in recipient && body.braze_id ? body.braze_id : undefined,
    text: body.message, mediaCount: mediaUrls.length, mediaUrls, messageId: body.message_id || undefined, contact,
  };
}
