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
  text: string;
  mediaCount: number;
  messageId: string | undefined;
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
  const mediaCount = media.filter((u) => u.trim() !== '').length;
  return { recipient, text: body.message, mediaCount, messageId: body.message_id || undefined };
}
