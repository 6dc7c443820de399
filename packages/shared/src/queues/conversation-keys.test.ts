import { conversationIdFor, conversationKeys } from './conversation-keys';

describe('conversationIdFor', () => {
  test('when called twice for the same recipient, then the id is the same', () => {
    // Arrange
    const recipient = { external_user_id: 'customer-8841@example.com' };

    // Act
    const first = conversationIdFor(recipient);
    const second = conversationIdFor({ ...recipient });

    // Assert
    expect(first).toBe(second);
  });

  test('when an external_user_id and a braze_id have the same string, then their ids differ', () => {
    // Arrange
    const value = '65f0c2a1b9e77d0012345678';

    // Act
    const byExternal = conversationIdFor({ external_user_id: value });
    const byBraze = conversationIdFor({ braze_id: value });

    // Assert
    expect(byExternal).not.toBe(byBraze);
  });

  test('when two recipients differ, then their ids differ', () => {
    // Arrange
    const a = { external_user_id: 'customer-1' };
    const b = { external_user_id: 'customer-2' };

    // Act
    const ids = [conversationIdFor(a), conversationIdFor(b)];

    // Assert
    expect(ids[0]).not.toBe(ids[1]);
  });

  test('when the id is derived, then it contains no trace of the raw identifier', () => {
    // Arrange
    const phoneLike = '+15551234567';
    const external = { external_user_id: phoneLike };
    const braze = { braze_id: 'braze-65f0c2a1' };

    // Act
    const ids = [conversationIdFor(external), conversationIdFor(braze)];

    // Assert
    expect(ids[0]).not.toContain('5551234567');
    expect(ids[1]).not.toContain('65f0c2a1');
    for (const id of ids) expect(id).toMatch(/^[ub][A-Za-z0-9_-]{22}$/);
  });
test.each([
    ['an external_user_id', { external_user_id: '+15551234567' }],
    ['a braze_id', { braze_id: '+15551234567' }],
    ['a user_alias with another label', { user_alias: { alias_name: '+15551234567', alias_label: 'email' } }],
  ])('when a phone user_alias and %s carry the same string, then their ids differ', (_case, other) => {
    // Arrange
    const alias = { user_alias: { alias_name: '+15551234567', alias_label: 'phone' } };

    // Act
    const ids = [conversationIdFor(alias), conversationIdFor(other)];

    // Assert
    expect(ids[0]).not.toBe(ids[1]);
  });

  test('when the recipient is a phone user_alias, then the id is hashed with its own prefix and holds no trace of the phone', () => {
    // Arrange
    const alias = { user_alias: { alias_name: '+15551234567', alias_label: 'phone' } };

    // Act
    const id = conversationIdFor(alias);

    // Assert
    expect(id).toMatch(/^a[A-Za-z0-9_-]{22}$/);
    expect(id).not.toContain('5551234567');
    expect(conversationIdFor({ user_alias: { ...alias.user_alias } })).toBe(id);
  });
});

describe('conversationKeys', () => {
  test('when keys are built, then every key carries the prefix and the id in braces', () => {
    // Arrange
    const id = conversationIdFor({ braze_id: 'b-1' });

    // Act
    const keys = conversationKeys('bridge', id);
    const all = [keys.seq, keys.next, keys.jobs, keys.state, keys.history, keys.outcome('j1'), keys.sent('j1'), keys.tools('j1'), keys.dedupe('m1'), keys.senderCount(29_000_000),
      ...Object.values(keys.lane('agent')), ...Object.values(keys.lane('ev')), ...Object.values(keys.lane('ev:webhook'))];

    // Assert
    for (const key of all) {
      expect(key.startsWith(`bridge:conv:{${id}}:`)).toBe(true);
    }
    expect(new Set(all).size).toBe(all.length);
  });

  test('when a dedupe key is built from a message_id, then the raw message_id is not in it', () => {
    // Arrange
    const messageId = 'wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI';

    // Act
    const key = conversationKeys('bridge', 'u123').dedupe(messageId);

    // Assert
    expect(key).not.toContain(messageId);
    expect(key).toBe(conversationKeys('bridge', 'u123').dedupe(messageId));
  });

  test('when keys of different jobs are built, then they differ by job id', () => {
    // Arrange
    const keys = conversationKeys('p', 'u1');

    // Act
    const outcomes = [keys.outcome('job-1'), keys.outcome('job-2')];

    // Assert
    expect(outcomes).toEqual(['p:conv:{u1}:outcome:job-1', 'p:conv:{u1}:outcome:job-2']);
  });

  test('when the inbound lane is asked for, then it is the keys the conversation had before lanes existed', () => {
    // Arrange
    const keys = conversationKeys('p', 'u1');

    // Act
    const inbound = keys.lane('in');

    // Assert
    expect(inbound).toEqual({ seq: keys.seq, next: keys.next, jobs: keys.jobs });
    expect(keys.lane('agent').seq).toBe('p:conv:{u1}:lane:agent:seq');
  });
});
