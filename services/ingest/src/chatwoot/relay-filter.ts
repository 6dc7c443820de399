import type { ChatwootInboundJob } from '@bridge/shared';

export type RelayDecision =
  | { action: 'store'; jobId: string; job: ChatwootInboundJob }
  | { action: 'ignore'; reason: string }
  | { action: 'invalid'; details: Array<{ field: string; problem: string }> };

/** Webhooks give message_type as a word; REST answers give it as a number. */
const MESSAGE_TYPES = ['incoming', 'outgoing', 'activity', 'template'];

type Payload = Record<string, unknown>;
const isObject = (v: unknown): v is Payload => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const idOf = (v: unknown) => (isObject(v) && isId(v.id) ? v.id : undefined);

/**
 * Which Chatwoot webhooks the worker must act on, decided from the payload alone: a
 * `message_created` that is outgoing, not private and written by a user (an agent), or a
 * `conversation_status_changed` to resolved. Everything else (customer messages and the
 * connector's own incoming copies, activity and template rows, private notes, agent-bot messages,
 * other events) is answered and dropped. The job id of a reply is its Chatwoot message id, so
 * Chatwoot sending the same message_created twice stores one job.
 */
export function relayOf(payload: unknown, o: { receivedAt: number; deliveryKey: string }): RelayDecision {
  if (!isObject(payload)) return { action: 'invalid', details: [{ field: 'body', problem: 'must be a JSON object' }] };
  const event = payload.event;
  if (event === 'message_created') return replyOf(payload, o.receivedAt);
  if (event === 'conversation_status_changed') {
    if (payload.status !== 'resolved') return { action: 'ignore', reason: 'not_resolved' };
    if (!isId(payload.id)) return { action: 'invalid', details: [{ field: 'id', problem: 'must be the conversation\'s id (a positive integer)' }] };
    const inboxId = isId(payload.inbox_id) ? payload.inbox_id : undefined;
    return {
      action: 'store',
      jobId: `cw-resolved-${payload.id}-${o.deliveryKey}`,
      job: { v: 1, kind: 'resolved', receivedAt: o.receivedAt, chatwoot: { conversationId: payload.id, ...(inboxId ? { inboxId } : {}) } },
    };
  }
  return { action: 'ignore', reason: 'event_not_relayed' };
}

function replyOf(message: Payload, receivedAt: number): RelayDecision {
  const type = typeof message.message_type === 'number' ? MESSAGE_TYPES[message.message_type] : message.message_type;
  if (type !== 'outgoing') return { action: 'ignore', reason: `${typeof type === 'string' && MESSAGE_TYPES.includes(type) ? type : 'unknown_type'}_message` };
  if (message.private !== false) return { action: 'ignore', reason: 'private_note' };
  const sender = isObject(message.sender) ? message.sender : undefined;
  if (sender?.type !== 'user') return { action: 'ignore', reason: 'not_from_an_agent' };

  const details: Array<{ field: string; problem: string }> = [];
  const conversationId = idOf(message.conversation);
  if (!isId(message.id)) details.push({ field: 'id', problem: 'must be the message\'s id (a positive integer)' });
  if (!conversationId) details.push({ field: 'conversation.id', problem: 'must be the conversation\'s id (a positive integer)' });
  if (message.content !== null && message.content !== undefined && typeof message.content !== 'string') details.push({ field: 'content', problem: 'must be a string or null' });
  if (details.length) return { action: 'invalid', details };

  const inboxId = idOf(message.inbox) ?? (isObject(message.conversation) && isId(message.conversation.inbox_id) ? message.conversation.inbox_id : undefined);
  const agentName = typeof sender.name === 'string' && sender.name.trim() ? sender.name.trim().slice(0, 100) : undefined;
  return {
    action: 'store',
    jobId: `cw-reply-${message.id}`,
    job: {
      v: 1, kind: 'reply', receivedAt,
      chatwoot: { conversationId: conversationId!, messageId: message.id as number, ...(inboxId ? { inboxId } : {}) },
      text: typeof message.content === 'string' ? message.content : '',
      attachments: Array.isArray(message.attachments) ? message.attachments.length : 0,
      ...(agentName ? { agentName } : {}),
    },
  };
}
