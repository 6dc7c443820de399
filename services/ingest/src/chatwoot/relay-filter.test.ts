import { relayOf } from './relay-filter';

const at = { receivedAt: 1_789_899_302_000, deliveryKey: 'd-1' };
/** A message_created as Chatwoot renders it (Message#webhook_data plus event), trimmed to what matters. */
const message = (overrides: Record<string, unknown> = {}) => ({
  event: 'message_created', id: 4711, content: 'Hi Ana, I can help with that.', message_type: 'outgoing', content_type: 'text', private: false,
  sender: { id: 7, name: 'Maria', email: 'maria@acme.example', type: 'user' }, inbox: { id: 3, name: 'WhatsApp via Braze' },
  conversation: { id: 128, inbox_id: 3, status: 'open' }, account: { id: 1, name: 'Acme' }, ...overrides,
});

describe('relay filter', () => {
  test('when an agent writes a reply, then it is stored under its message id with the text and the agent\'s name', () => {
    expect(relayOf(message(), at)).toEqual({
      action: 'store', jobId: 'cw-reply-4711',
      job: { v: 1, kind: 'reply', receivedAt: at.receivedAt, chatwoot: { conversationId: 128, inboxId: 3, messageId: 4711 }, text: 'Hi Ana, I can help with that.', attachments: 0, agentName: 'Maria' },
    });
  });

  test('when an agent sends only an attachment, then it is stored with no text, so the worker can say why nothing went out', () => {
    expect(relayOf(message({ content: null, attachments: [{ id: 1, file_type: 'image' }] }), at)).toMatchObject({ action: 'store', job: { text: '', attachments: 1 } });
  });

  test('when a conversation is resolved, then it is stored under the conversation and the delivery', () => {
    const resolved = { event: 'conversation_status_changed', id: 128, inbox_id: 3, status: 'resolved', changed_attributes: [{ status: { previous_value: 'open', current_value: 'resolved' } }] };
    expect(relayOf(resolved, at)).toEqual({ action: 'store', jobId: 'cw-resolved-128-d-1', job: { v: 1, kind: 'resolved', receivedAt: at.receivedAt, chatwoot: { conversationId: 128, inboxId: 3 } } });
  });

  it.each([
    ['a private note', message({ private: true }), 'private_note'],
    ['a message without its private flag', message({ private: undefined }), 'private_note'],
    ['the customer\'s message (or the connector\'s incoming copy of it)', message({ message_type: 'incoming', sender: { id: 42, type: 'contact' } }), 'incoming_message'],
    ['an activity row', message({ message_type: 'activity', sender: undefined }), 'activity_message'],
    ['a template row', message({ message_type: 'template' }), 'template_message'],
    ['an activity row given as a number', message({ message_type: 2 }), 'activity_message'],
    ['an agent bot\'s message', message({ sender: { id: 2, name: 'Rasa', type: 'agent_bot' } }), 'not_from_an_agent'],
    ['a message without a sender', message({ sender: undefined }), 'not_from_an_agent'],
    ['a message_updated', message({ event: 'message_updated' }), 'event_not_relayed'],
    ['a conversation_created', { event: 'conversation_created', id: 128 }, 'event_not_relayed'],
    ['a conversation opened again', { event: 'conversation_status_changed', id: 128, status: 'open' }, 'not_resolved'],
    ['a conversation set to pending', { event: 'conversation_status_changed', id: 128, status: 'pending' }, 'not_resolved'],
  ])('when it is %s, then it is ignored (%s)', (_what, payload, reason) => {
    expect(relayOf(payload, at)).toEqual({ action: 'ignore', reason });
  });

  it.each([
    ['not an object', [1, 2], 'body'],
    ['an agent reply without an id', message({ id: 'x' }), 'id'],
    ['an agent reply without its conversation', message({ conversation: undefined }), 'conversation.id'],
    ['an agent reply whose content is a number', message({ content: 5 }), 'content'],
    ['a resolve without the conversation id', { event: 'conversation_status_changed', status: 'resolved' }, 'id'],
  ])('when it is %s, then it is invalid, naming %s', (_what, payload, field) => {
    expect(relayOf(payload, at)).toMatchObject({ action: 'invalid', details: [expect.objectContaining({ field })] });
  });
});
