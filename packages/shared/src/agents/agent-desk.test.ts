import { conversationIdFor } from '../queues/conversation-keys';
import type { Recipient } from '../queues/jobs';
import { AgentTarget, ConversationId } from './agent-desk';

describe('ConversationId', () => {
  test.each<[string, Recipient]>([
    ['an external user id', { external_user_id: 'user-1' }],
    ['a Braze id', { braze_id: 'braze-1' }],
    ['a phone user alias (an unknown sender)', { user_alias: { alias_label: 'phone', alias_name: '+15550000001' } }],
  ])('when a conversation is keyed by %s, then its id is accepted as a conversation_id', (_case, recipient) => {
    const id = conversationIdFor(recipient);

    expect(ConversationId.safeParse(id).success).toBe(true);
    expect(AgentTarget.safeParse({ conversation_id: id }).success).toBe(true);
  });

  test.each([
    ['another prefix letter', `x${'A'.repeat(22)}`],
    ['one character short', `u${'A'.repeat(21)}`],
    ['a key-name character', `u${'A'.repeat(21)}}`],
    ['a raw user id', 'user-1'],
  ])('when a conversation_id has %s, then it is refused', (_case, id) => {
    expect(ConversationId.safeParse(id).success).toBe(false);
  });
});
