import { ValidationError } from '@bridge/shared';
import { thrownBy } from '../../../../test/helpers/thrown-by';
import { toInboundMessage } from './inbound-message';

describe('toInboundMessage', () => {
  test('when both user_id and braze_id are set, then the reply goes to the external user id', () => {
    // Arrange
    const fields = { user_id: 'customer-42', braze_id: 'b-1', message: 'hello' };

    // Act
    const { inbound } = toInboundMessage(fields);

    // Assert
    expect(inbound).toEqual({ recipient: { external_user_id: 'customer-42' }, brazeId: 'b-1', text: 'hello', mediaCount: 0, mediaUrls: [], messageId: undefined, contact: {} });
  });

  test.each([
    ['empty', ''],
    ['blank', '   '],
    ['missing', undefined],
  ])('when user_id is %s (an unknown sender), then the reply goes to the braze_id', (_case, userId) => {
    // Arrange
    const fields = { user_id: userId, braze_id: 'b-1', message: 'hello' };

    // Act
    const { inbound } = toInboundMessage(fields);

    // Assert
    expect(inbound.recipient).toEqual({ braze_id: 'b-1' });
  });

  test('when neither user_id nor braze_id is set, then it is refused as MISSING_IDENTITY with details', () => {
    // Arrange
    const fields = { user_id: '', braze_id: ' ', phone_number: '+15551234567', message: 'hello' };

    // Act
    const error = thrownBy(() => toInboundMessage(fields), ValidationError);

    // Assert
    expect(error.code).toBe('MISSING_IDENTITY');
    expect(error.httpStatus).toBe(400);
    expect(error.details).toEqual([expect.objectContaining({ field: 'user_id' })]);
  });

  test.each([
    ['missing', undefined],
    ['a number', 42],
    ['null', null],
    ['an object', { text: 'hi' }],
  ])('when message is %s, then it is refused as INVALID_PAYLOAD naming message', (_case, message) => {
    // Arrange
    const fields = { user_id: 'customer-42', message };

    // Act
    const error = thrownBy(() => toInboundMessage(fields), ValidationError);

    // Assert
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.message).toContain('message');
    expect(error.details).toEqual([expect.objectContaining({ field: 'message' })]);
  });

  test('when message is too long, then it is refused as INVALID_PAYLOAD naming message', () => {
    // Arrange
    const fields = { user_id: 'customer-42', message: 'x'.repeat(20_001) };

    // Act
    const error = thrownBy(() => toInboundMessage(fields), ValidationError);

    // Assert
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.details).toEqual([expect.objectContaining({ field: 'message' })]);
  });

  test.each([
    ['empty', ''],
    ['only whitespace', ' \n\t '],
  ])('when message is %s (an image, sticker or location without a caption), then it is accepted, not lost', (_case, message) => {
    // Arrange: Braze does not retry a 400, so refusing it would lose what the customer sent
    const fields = { user_id: 'customer-42', message, media_urls: '  ' };

    // Act
    const { inbound } = toInboundMessage(fields);

    // Assert
    expect(inbound.text.trim()).toBe('');
    expect(inbound.mediaCount).toBe(0);
  });

  test.each([
    ['a string', 'https://cdn.example.com/a.jpg', 1],
    ['an array', ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.ogg'], 2],
    ['an array with blanks', ['https://cdn.example.com/a.jpg', '', ' '], 1],
  ])('when message is empty and media_urls is %s, then it is accepted with the media count', (_case, mediaUrls, count) => {
    // Arrange
    const fields = { braze_id: 'b-1', message: '', media_urls: mediaUrls };

    // Act
    const { inbound } = toInboundMessage(fields);

    // Assert
    expect(inbound).toMatchObject({ recipient: { braze_id: 'b-1' }, text: '', mediaCount: count });
  });

  test('when ids are numbers, then they are coerced to strings', () => {
    // Arrange
    const fields = { user_id: 12345, message_id: 987, message: 'hi' };

    // Act
    const { inbound } = toInboundMessage(fields);

    // Assert
    expect(inbound.recipient).toEqual({ external_user_id: '12345' });
    expect(inbound.messageId).toBe('987');
  });

  test('when ids have surrounding whitespace, then it is trimmed', () => {
    // Arrange
    const fields = { user_id: '  customer-42 \n', message: 'hi' };

    // Act
    const { inbound } = toInboundMessage(fields);

    // Assert
    expect(inbound.recipient).toEqual({ external_user_id: 'customer-42' });
  });

  test('when unknown extra fields are present, then they are ignored', () => {
    // Arrange
    const fields = { user_id: 'customer-42', message: 'hi', external_user_id: 'victim', recipient: { braze_id: 'victim' }, admin: true };

    // Act
    const { inbound } = toInboundMessage(fields);

    // Assert
    expect(inbound).toEqual({ recipient: { external_user_id: 'customer-42' }, brazeId: undefined, text: 'hi', mediaCount: 0, mediaUrls: [], messageId: undefined, contact: {} });
  });

  test('when message_id is given, then it is carried; when it is empty, then there is none', () => {
    // Arrange
    const withId = { user_id: 'u', message: 'hi', message_id: 'wamid.ABC' };
    const withEmptyId = { user_id: 'u', message: 'hi', message_id: '' };

    // Act
    const a = toInboundMessage(withId).inbound;
    const b = toInboundMessage(withEmptyId).inbound;

    // Assert
    expect(a.messageId).toBe('wamid.ABC');
    expect(b.messageId).toBeUndefined();
  });

  test('when message_id is longer than 256 characters, then it is refused naming message_id', () => {
    // Arrange
    const fields = { user_id: 'u', message: 'hi', message_id: 'm'.repeat(257) };

    // Act
    const error = thrownBy(() => toInboundMessage(fields), ValidationError);

    // Assert
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.details).toEqual([expect.objectContaining({ field: 'message_id' })]);
  });

  test('when the text has leading and trailing whitespace, then it is kept exactly', () => {
    // Arrange
    const fields = { user_id: 'u', message: '  hi there \n' };

    // Act
    const { inbound } = toInboundMessage(fields);

    // Assert
    expect(inbound.text).toBe('  hi there \n');
  });

  test('when the phone and display name are sent, then they are kept as the contact and media URLs as a list', () => {
    // Arrange
    const fields = { user_id: 'u-1', phone_number: '+5511999990000', profile_name: ' Ana ', media_urls: ['https://x/a.jpg', ' '], message: 'hi' };

    // Act
    const { inbound } = toInboundMessage(fields);

    // Assert
    expect(inbound).toMatchObject({ contact: { phone: '+5511999990000', name: 'Ana' }, mediaUrls: ['https://x/a.jpg'], mediaCount: 1 });
  });

  test('when a number id is beyond the safe integer range, then it is refused naming it, never rounded', () => {
    // Arrange: the parser hands such ids over as their digits; a number here has lost them already
    const fields = { user_id: 2 ** 64, message: 'hi' };

    // Act
    const error = thrownBy(() => toInboundMessage(fields), ValidationError);

    // Assert
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.details).toEqual([expect.objectContaining({ field: 'user_id' })]);
  });

  test.each([
    ['profile_name is a number', { profile_name: 5 }, ['profile_name']],
    ['media_urls is an object', { media_urls: { url: 'https://x/y.jpg' } }, ['media_urls']],
    ['phone_number is an array', { phone_number: ['+15551234567'] }, ['phone_number']],
    ['two optional fields are of the wrong type', { profile_name: null, media_urls: [1] }, ['profile_name', 'media_urls']],
  ])('when %s, then it is dropped and the message kept', (_case, optional, dropped) => {
    // Arrange
    const fields = { user_id: 'customer-42', message: 'hello', ...optional };

    // Act
    const result = toInboundMessage(fields);

    // Assert
    expect(result).toEqual({ inbound: { recipient: { external_user_id: 'customer-42' }, brazeId: undefined, text: 'hello', mediaCount: 0, mediaUrls: [], messageId: undefined, contact: {} }, dropped });
  });

  test('when an identity field and an optional field are both of the wrong type, then only the identity field is named', () => {
    // Arrange
    const fields = { user_id: { id: 'x' }, profile_name: 5, message: 'hi' };

    // Act
    const error = thrownBy(() => toInboundMessage(fields), ValidationError);

    // Assert
    expect(error.details).toEqual([expect.objectContaining({ field: 'user_id' })]);
  });

  describe('with UNKNOWN_SENDER_RECIPIENT=user_alias', () => {
    test.each([
      ['user_id is set', { user_id: 'customer-42', braze_id: 'b-1', phone_number: '+15551234567' }, { external_user_id: 'customer-42' }],
      ['user_id is empty and there is a phone', { user_id: '', braze_id: 'b-1', phone_number: ' +15551234567 ' }, { user_alias: { alias_name: '+15551234567', alias_label: 'phone' } }],
      ['the phone is as received, not normalised', { braze_id: 'b-1', phone_number: '15551234567' }, { user_alias: { alias_name: '15551234567', alias_label: 'phone' } }],
      ['user_id and the phone are empty', { user_id: '', braze_id: 'b-1', phone_number: '  ' }, { braze_id: 'b-1' }],
      ['there is no phone at all', { braze_id: 'b-1' }, { braze_id: 'b-1' }],
    ])('when %s, then the recipient is the expected one', (_case, ids, recipient) => {
      // Arrange
      const fields = { ...ids, message: 'hi' };

      // Act
      const { inbound } = toInboundMessage(fields, 'user_alias');

      // Assert
      expect(inbound.recipient).toEqual(recipient);
    });

    test('when there is no user_id, phone or braze_id, then it is refused as MISSING_IDENTITY naming the phone too', () => {
      // Arrange
      const fields = { user_id: '', message: 'hi' };

      // Act
      const error = thrownBy(() => toInboundMessage(fields, 'user_alias'), ValidationError);

      // Assert
      expect(error.code).toBe('MISSING_IDENTITY');
      expect(error.message).toContain('phone_number');
    });
  });

  test('when UNKNOWN_SENDER_RECIPIENT is braze_id (the default) and there is a phone, then the reply still goes by braze_id', () => {
    // Arrange
    const fields = { user_id: '', braze_id: 'b-1', phone_number: '+15551234567', message: 'hi' };

    // Act
    const { inbound } = toInboundMessage(fields);

    // Assert
    expect(inbound.recipient).toEqual({ braze_id: 'b-1' });
  });
});
