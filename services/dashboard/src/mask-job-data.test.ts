import { maskJobData } from './mask-job-data';

describe('maskJobData', () => {
  /** Generate-job fields that hold neither text nor ids, so masking leaves them as they are. */
  const UNMASKED_GENERATE_FIELDS = {
    v: 1,
    correlationId: 'corr-1',
    receivedAt: 1_700_000_000_000,
    conversation: { id: 'uAbCdEf', seq: 3 },
    mediaCount: 0,
  };

  test('when a generate job is shown, then text is hidden with its length, ids are masked and the rest is intact', () => {
    // Arrange
    const data = {
      ...UNMASKED_GENERATE_FIELDS,
      recipient: { external_user_id: 'customer-8841' },
      text: 'my phone is +15551234567',
      messageId: 'wamid.ABC',
    };

    // Act
    const masked = maskJobData(data);

    // Assert
    expect(masked).toEqual({
      ...UNMASKED_GENERATE_FIELDS,
      recipient: { external_user_id: 'cu…41' },
      text: '[hidden: 24 characters]',
      messageId: '[hidden: 9 characters]',
    });
    expect(JSON.stringify(masked)).not.toContain('5551234567');
  });

  test('when a send job is shown, then the reply is hidden and the braze_id masked', () => {
    // Arrange
    const data = { recipient: { braze_id: '65f0c2a1b9e77d0012345678' }, reply: 'Your order ships tomorrow.', kind: 'ai' };

    // Act
    const masked = maskJobData(data);

    // Assert
    expect(masked).toEqual({ recipient: { braze_id: '65…78' }, reply: '[hidden: 26 characters]', kind: 'ai' });
  });

  test('when a reply goes to a phone user_alias, then the phone is masked like an id and the label kept', () => {
    // Arrange
    const data = { recipient: { user_alias: { alias_name: '+15551234567', alias_label: 'phone' } } };

    // Act
    const masked = maskJobData(data);

    // Assert
    expect(masked).toEqual({ recipient: { user_alias: { alias_name: '+1…67', alias_label: 'phone' } } });
    expect(JSON.stringify(masked)).not.toContain('555123');
  });

  test('when an id has four characters or fewer, then it is fully masked', () => {
    // Arrange
    const data = { recipient: { external_user_id: 'a1b2' } };

    // Act
    const masked = maskJobData(data);

    // Assert
    expect(masked).toEqual({ recipient: { external_user_id: '****' } });
  });

  test('when masked fields sit deep in nested objects and arrays, then they are masked there too', () => {
    // Arrange
    const data = { batch: [{ inner: { text: 'abc', braze_id: 'braze-123456' } }, { reply: '' }], note: 'kept' };

    // Act
    const masked = maskJobData(data);

    // Assert
    expect(masked).toEqual({
      batch: [{ inner: { text: '[hidden: 3 characters]', braze_id: 'br…56' } }, { reply: '[hidden: 0 characters]' }],
      note: 'kept',
    });
  });

  test('when values are not objects, then they pass through unchanged', () => {
    // Arrange
    const values = [null, undefined, 42, 'plain text', true];

    // Act
    const masked = values.map(maskJobData);

    // Assert
    expect(masked).toEqual(values);
  });

  test('when job data is masked, then the original object is not changed', () => {
    // Arrange
    const data = { text: 'secret words', recipient: { external_user_id: 'customer-1' } };

    // Act
    maskJobData(data);

    // Assert
    expect(data).toEqual({ text: 'secret words', recipient: { external_user_id: 'customer-1' } });
  });

  test.each([
    ['the contact of a generate job', { contact: { phone: '+15551234567', name: 'Zelda Quux' } }, { contact: { phone: '+1…67', name: '[hidden: 10 characters]' } }],
    ['the braze_id of a user known by external id', { brazeId: '65f0c2a1b9e77d0012345678' }, { brazeId: '65…78' }],
    ['the media URLs', { mediaUrls: ['https://cdn.example/a.jpg', 'https://cdn.example/b.jpg'] }, { mediaUrls: '[hidden: 2 URLs]' }],
    ['an agent event', { event: { data: { user_id: 'customer-8841', phone: '+15551234567', profile_name: 'Zelda', suggested_reply: 'Hi Zelda', message: { text: 'hi', media_urls: ['https://x/y'] } } } },
      { event: { data: { user_id: 'cu…41', phone: '+1…67', profile_name: '[hidden: 5 characters]', suggested_reply: '[hidden: 8 characters]', message: { text: '[hidden: 2 characters]', media_urls: '[hidden: 1 URLs]' } } } }],
  ])('when a job holds %s, then it is masked', (_case, data, expected) => {
    expect(maskJobData(data)).toEqual(expected);
  });
});
