import { Recipient } from './jobs';

describe('Recipient', () => {
  test.each([
    ['an external_user_id', { external_user_id: 'customer-42' }],
    ['a braze_id', { braze_id: '65f0c2a1b9e77d0012345678' }],
    ['a phone user_alias', { user_alias: { alias_name: '+15551234567', alias_label: 'phone' } }],
  ])('when it is %s, then it is accepted as it is', (_case, recipient) => {
    // Arrange
    const value = recipient;

    // Act
    const parsed = Recipient.safeParse(value);

    // Assert
    expect(parsed).toEqual({ success: true, data: recipient });
  });

  test.each([
    ['two identifiers', { external_user_id: 'customer-42', braze_id: 'b-1' }],
    ['an alias and another identifier', { user_alias: { alias_name: '+15551234567', alias_label: 'phone' }, braze_id: 'b-1' }],
    ['an alias without its label', { user_alias: { alias_name: '+15551234567' } }],
    ['an alias with an empty name', { user_alias: { alias_name: '', alias_label: 'phone' } }],
    ['an alias with an extra field', { user_alias: { alias_name: '+15551234567', alias_label: 'phone', external_id: 'x' } }],
    ['no identifier', {}],
  ])('when it has %s, then it is refused: Braze takes exactly one', (_case, recipient) => {
    // Arrange
    const value = recipient;

    // Act
    const parsed = Recipient.safeParse(value);

    // Assert
    expect(parsed.success).toBe(false);
  });
});
