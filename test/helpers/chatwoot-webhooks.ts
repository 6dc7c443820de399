import { createHmac, randomUUID } from 'node:crypto';

/**
 * Chatwoot webhook payloads for tests. They are not in Chatwoot's API specification: built from
 * the shapes Chatwoot's code renders (Message#webhook_data plus `event`; the conversation's
 * webhook data plus `event` and `changed_attributes`), values invented.
 */
export function agentMessage(o: { id: number; conversationId: number; content: string | null; inboxId?: number } & Record<string, unknown>) {
  const { id, conversationId, content, inboxId = 3, ...overrides } = o;
  return {
    event: 'message_created', id, content, created_at: '2026-09-20T10:15:02.000Z', message_type: 'outgoing', content_type: 'text', private: false,
    content_attributes: {}, source_id: null,
    sender: { id: 7, name: 'Maria', email: 'maria@acme.example', type: 'user' },
    inbox: { id: inboxId, name: 'WhatsApp via Braze' },
    conversation: {
      additional_attributes: {}, can_reply: true, channel: 'Channel::Api', id: conversationId, inbox_id: inboxId,
      contact_inbox: { id: 55, contact_id: 42, inbox_id: inboxId, source_id: 'wa-5f0c2b', hmac_verified: false, created_at: '2026-09-20T10:01:00.000Z', updated_at: '2026-09-20T10:01:00.000Z' },
      messages: [{ id, content, account_id: 1, inbox_id: inboxId, conversation_id: conversationId, message_type: 1, created_at: 1789899302, private: false, status: 'sent', content_type: 'text', content_attributes: {}, sender_type: 'User', sender_id: 7 }],
      meta: { sender: { id: 42, name: 'Ana', identifier: 'user-1', phone_number: '+15550000001', type: 'contact' }, assignee: { id: 7, name: 'Maria', type: 'user' } },
      status: 'open', unread_count: 0, timestamp: 1789898460,
    },
    account: { id: 1, name: 'Acme' },
    ...overrides,
  };
}

export function statusChanged(o: { conversationId: number; status: 'resolved' | 'open' | 'pending'; inboxId?: number }) {
  const inboxId = o.inboxId ?? 3;
  return {
    event: 'conversation_status_changed', additional_attributes: {}, can_reply: true, channel: 'Channel::Api', id: o.conversationId, inbox_id: inboxId,
    contact_inbox: { id: 55, contact_id: 42, inbox_id: inboxId, source_id: 'wa-5f0c2b', hmac_verified: false },
    messages: [],
    meta: { sender: { id: 42, name: 'Ana', identifier: 'user-1', phone_number: '+15550000001', type: 'contact' } },
    status: o.status, unread_count: 0, timestamp: 1789898460,
    changed_attributes: [{ status: { previous_value: o.status === 'resolved' ? 'open' : 'resolved', current_value: o.status } }],
  };
}

/**
 * The headers Chatwoot sends with a signed webhook: X-Chatwoot-Signature
 * `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, X-Chatwoot-Timestamp (unix seconds) and X-Chatwoot-Delivery.
 */
export function chatwootHeaders(secret: string, raw: string, o: { at?: number; delivery?: string } = {}): Record<string, string> {
  const timestamp = String(Math.floor((o.at ?? Date.now()) / 1000));
  const signature = createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex');
  return { 'Content-Type': 'application/json', 'X-Chatwoot-Signature': `sha256=${signature}`, 'X-Chatwoot-Timestamp': timestamp, 'X-Chatwoot-Delivery': o.delivery ?? randomUUID() };
}
