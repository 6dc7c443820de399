import { ValidationError } from '@bridge/shared';
import { thrownBy } from '../../../../test/helpers/thrown-by';
import { parseWebhookBody } from './parse-webhook-body';

const IDS = { braze_id: '65f0c2a1b9e77d0012345678', user_id: 'customer-42', phone_number: '+15551234567' };

/**
 * The webhook body template of docs/braze-setup.md as Braze renders it. `escaped` is what `| json_escape` produces; `verbatim`
 * is what Braze's own guide (no json_escape) produces: the text pasted between the quotes as it is.
 */
function renderTemplate(text: string, mode: 'escaped' | 'verbatim', eol = '\n'): string {
  const message = mode === 'escaped' ? JSON.stringify(text).slice(1, -1) : text;
  return [
    '{',
    `  "braze_id": "${IDS.braze_id}",`,
    `  "user_id": "${IDS.user_id}",`,
    `  "phone_number": "${IDS.phone_number}",`,
    `  "message": "${message}"`,
    '}',
  ].join(eol);
}

/** Renders the template verbatim and expects the parser to recover exactly the template's ids and the whole text. */
function expectRecovered(text: string): void {
  // Arrange
  const raw = renderTemplate(text, 'verbatim');

  // Act
  const parsed = parseWebhookBody(raw);

  // Assert
  expect(parsed).toEqual({ fields: { ...IDS, message: text }, recovered: true, dropped: [] });
}

describe('parseWebhookBody', () => {
  describe('escaped bodies', () => {
    test('when the template is rendered with json_escape, then the fields are exactly those sent and nothing is recovered', () => {
      // Arrange
      const text = 'Hi, "quotes", a \\ backslash,\nnew line\tand tab {} 😀';
      const raw = renderTemplate(text, 'escaped');

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({ fields: { ...IDS, message: text }, recovered: false, dropped: [] });
    });

    test('when a valid body puts message first and user_id after, then it is refused: text could have written the fields after it', () => {
      // Arrange
      const raw = JSON.stringify({ message: 'He said "hi"', user_id: 'customer-42', braze_id: 'b-1' });

      // Act
      const error = thrownBy(() => parseWebhookBody(raw), ValidationError);

      // Assert
      expect(error.code).toBe('MESSAGE_NOT_LAST');
      expect(error.httpStatus).toBe(400);
      expect(error.details).toEqual([expect.objectContaining({ field: 'message' })]);
    });

    test('when a valid body has extra fields and non-string values, then the known ones are read as parsed', () => {
      // Arrange
      const raw = JSON.stringify({ user_id: 'customer-42', media_urls: ['https://x/y.jpg'], extra: { a: [1, null, true] }, message: '' });

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed.fields).toMatchObject({ user_id: 'customer-42', media_urls: ['https://x/y.jpg'], message: '' });
      expect(parsed.recovered).toBe(false);
    });
  });

  describe('verbatim bodies (no json_escape) with message last', () => {
    test.each([
      ['double quotes', 'He said "hello" to me'],
      ['raw newlines', 'line one\nline two\n\nline four'],
      ['CRLF line endings', 'line one\r\nline two'],
      ['tabs', 'col1\tcol2\tcol3'],
      ['braces', 'my order {#1234} and {"json": "inside"}'],
      ['backslashes', 'C:\\Users\\me\\Documents and a \\o/'],
      ['a trailing backslash', 'ends with a backslash \\'],
      ['a trailing quote', 'she wrote "ok"'],
      ['emoji and other scripts', 'Hola 👋🏽 привет 你好 "quoted"'],
      ['a quote followed by a brace', 'weird "}" ending "}'],
      ['everything at once', '  "Hi"\n\t{x}\\y\r\n😀 end  '],
    ])('when the text has %s, then it is recovered exactly', (_case, text) => {
      expectRecovered(text);
    });

    test('when the whole body uses CRLF line endings and the text has CRLF too, then the text is recovered exactly', () => {
      // Arrange
      const text = 'first "line"\r\nsecond line';
      const raw = renderTemplate(text, 'verbatim', '\r\n');

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({ fields: { ...IDS, message: text }, recovered: true, dropped: [] });
    });

    test('when whitespace follows the closing brace, then the text is recovered exactly', () => {
      // Arrange
      const text = 'He said "hello"';
      const raw = `${renderTemplate(text, 'verbatim')} \r\n\t \n`;

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({ fields: { ...IDS, message: text }, recovered: true, dropped: [] });
    });
  });

  describe('injection attempts in verbatim text', () => {
    test.each([
      ['a second user_id', 'hi", "user_id": "victim'],
      ['a second braze_id and a filler field', 'x", "braze_id": "victim", "y": "'],
      ['a message_id', 'a", "message_id": "zzz'],
      ['a user_id closing the object early', 'x", "user_id": "victim"}'],
      ['a nested object', 'x", "user_id": "victim", "z": {"a": "'],
    ])('when the text smuggles %s, then the ids stay those of the template and the whole text is the message', (_case, text) => {
      expectRecovered(text);
    });

    test('when injected text makes the body valid JSON with a duplicate key, then the duplicate does not win', () => {
      // Arrange
      const text = 'hi", "user_id": "victim';
      const raw = renderTemplate(text, 'verbatim');
      const naive = JSON.parse(raw) as Record<string, unknown>;

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(naive.user_id).toBe('victim');
      expect(parsed.fields.user_id).toBe(IDS.user_id);
      expect(parsed.fields.message).toBe(text);
    });
  });

  describe('bodies that cannot be recovered', () => {
    test('when message is the first field and the text is verbatim, then it is refused with a hint to use json_escape', () => {
      // Arrange
      const raw = [
        '{',
        '  "message": "He said "hello" to me",',
        `  "braze_id": "${IDS.braze_id}",`,
        `  "user_id": "${IDS.user_id}"`,
        '}',
      ].join('\n');

      // Act
      const error = thrownBy(() => parseWebhookBody(raw), ValidationError);

      // Assert
      expect(error.code).toBe('MESSAGE_NOT_LAST');
      expect(error.httpStatus).toBe(400);
      expect(error.message).toContain('json_escape');
    });

    test('when message is not the last field, the text is verbatim and the last value is not a string, then it is refused', () => {
      // Arrange
      const raw = `{"user_id": "${IDS.user_id}", "message": "He said "hello"", "media_urls": []}`;

      // Act
      const error = thrownBy(() => parseWebhookBody(raw), ValidationError);

      // Assert
      expect(error.code).toBe('INVALID_JSON');
      expect(error.message).toContain('json_escape');
    });

    test.each([
      ['an array', '[{"message": "hi"}]'],
      ['a number', '42'],
      ['null', 'null'],
      ['a string', '"hello"'],
      ['a boolean', 'true'],
    ])('when the body is valid JSON but %s, then it is refused as INVALID_BODY', (_case, raw) => {
      // Arrange
      const body = raw;

      // Act
      const error = thrownBy(() => parseWebhookBody(body), ValidationError);

      // Assert
      expect(error.code).toBe('INVALID_BODY');
      expect(error.httpStatus).toBe(400);
    });

    test.each([
      ['plain text', 'hello there'],
      ['an empty body', ''],
      ['a truncated object', '{"user_id": "u1", "message": "hi'],
      ['form encoding', 'user_id=u1&message=hi'],
      ['an object with a broken field before message', '{"user_id": u1, "message": "hi"}'],
    ])('when the body is %s, then it is refused as INVALID_JSON', (_case, raw) => {
      // Arrange
      const body = raw;

      // Act
      const error = thrownBy(() => parseWebhookBody(body), ValidationError);

      // Assert
      expect(error.code).toBe('INVALID_JSON');
      expect(error.retryable).toBe(false);
    });
  });

  describe('ids written as numbers (a template without quotes around the Liquid tag)', () => {
    test.each([
      ['a 20-digit user_id', '"user_id": 12345678901234567890', 'user_id', '12345678901234567890'],
      ['a 30-digit braze_id', '"braze_id": 123456789012345678901234567890', 'braze_id', '123456789012345678901234567890'],
      ['a 17-digit message_id', '"message_id": 98765432109876543', 'message_id', '98765432109876543'],
      ['a safe integer user_id', '"user_id": 42', 'user_id', '42'],
      ['a negative user_id', '"user_id": -9007199254740993', 'user_id', '-9007199254740993'],
      ['a phone_number without its plus', '"phone_number": 15551234567', 'phone_number', '15551234567'],
    ])('when the body holds %s, then its exact digits are kept', (_case, field, key, digits) => {
      // Arrange
      const raw = `{${field}, "message": "hi"}`;

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed.fields[key]).toBe(digits);
      expect(parsed.recovered).toBe(false);
    });

    test('when a 20-digit user_id comes with verbatim text, then its digits are kept and the text recovered', () => {
      // Arrange
      const raw = '{"braze_id": "b-1", "user_id": 12345678901234567890, "message": "He said "hi""}';

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({ fields: { braze_id: 'b-1', user_id: '12345678901234567890', message: 'He said "hi"' }, recovered: true, dropped: [] });
    });

    test.each([
      ['user_id', '1.5'],
      ['user_id', '1e21'],
      ['braze_id', '12345678901234567890.0'],
      ['message_id', '5E3'],
      ['user_id', '-0.25'],
    ])('when %s is the number %s, then it is refused naming the field, never rounded', (key, literal) => {
      // Arrange
      const raw = `{"${key}": ${literal}, "message": "hi"}`;

      // Act
      const error = thrownBy(() => parseWebhookBody(raw), ValidationError);

      // Assert
      expect(error.code).toBe('INVALID_PAYLOAD');
      expect(error.httpStatus).toBe(400);
      expect(error.details).toEqual([expect.objectContaining({ field: key })]);
    });

    test('when phone_number is a number with a fraction, then it is dropped and the message kept', () => {
      // Arrange
      const raw = `{"user_id": "${IDS.user_id}", "phone_number": 1.5551234567e10, "message": "hi"}`;

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({ fields: { user_id: IDS.user_id, message: 'hi' }, recovered: false, dropped: ['phone_number'] });
    });
  });

  describe('broken optional fields (a display name without json_escape)', () => {
    /** The README template with an unescaped profile_name before the message. */
    const withName = (name: string, message = '"hi"') =>
      `{"braze_id": "${IDS.braze_id}", "user_id": "${IDS.user_id}", "phone_number": "${IDS.phone_number}", "profile_name": "${name}", "message": ${message}}`;

    test.each([
      ['a backslash', 'Ana \\ Maria'],
      ['a quote', 'Ana "Bo" Maria'],
      ['a trailing quote', 'Ana "'],
      ['a raw line break', 'Ana\nMaria'],
      ['a quote and a comma', 'Ana", b'],
      ['a quote, a comma and a colon', 'a", "b'],
      ['a bad unicode escape', 'Ana \\u12'],
    ])('when the name has %s, then it is dropped and the ids and the message are kept', (_case, name) => {
      // Arrange
      const raw = withName(name);

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({ fields: { ...IDS, message: 'hi' }, recovered: false, dropped: ['profile_name'] });
    });

    test('when the name is broken and the text is verbatim too, then the name is dropped and the text recovered', () => {
      // Arrange
      const raw = withName('Ana "Bo"', '"He said "hi""');

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({ fields: { ...IDS, message: 'He said "hi"' }, recovered: true, dropped: ['profile_name'] });
    });

    test.each([
      ['phone_number without quotes', `{"user_id": "${IDS.user_id}", "phone_number": +15551234567, "message": "hi"}`, 'phone_number'],
      ['media_urls that is not JSON', `{"user_id": "${IDS.user_id}", "media_urls": [https://x/y.jpg], "message": "hi"}`, 'media_urls'],
      ['profile_name twice', `{"user_id": "${IDS.user_id}", "profile_name": "a", "profile_name": "b", "message": "hi"}`, 'profile_name'],
    ])('when the body has %s, then that field is dropped and the message kept', (_case, raw, field) => {
      // Arrange
      const body = raw;

      // Act
      const parsed = parseWebhookBody(body);

      // Assert
      expect(parsed).toEqual({ fields: { user_id: IDS.user_id, message: 'hi' }, recovered: false, dropped: [field] });
    });

    test('when a phone_number follows the name, then it is dropped: the name could have written it', () => {
      // Arrange
      const raw = `{"user_id": "", "braze_id": "${IDS.braze_id}", "profile_name": "x", "phone_number": "+15559990000", "message": "hi"}`;

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({ fields: { user_id: '', braze_id: IDS.braze_id, profile_name: 'x', message: 'hi' }, recovered: false, dropped: ['phone_number'] });
    });

    test('when a phone_number follows a broken field, then it is dropped: the name could have written it', () => {
      // Arrange
      const raw = `{"user_id": "", "braze_id": "${IDS.braze_id}", "profile_name": "x"y", "phone_number": "+15559990000", "message": "hi"}`;

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({ fields: { user_id: '', braze_id: IDS.braze_id, message: 'hi' }, recovered: false, dropped: ['profile_name', 'phone_number'] });
    });

    test.each([
      ['user_id', 'u\\ x'],
      ['braze_id', 'b"x'],
      ['message_id', 'm\u0001'],
    ])('when the identity field %s is broken, then the body is refused naming it', (key, value) => {
      // Arrange
      const raw = `{"${key}": "${value}", "message": "hi"}`;

      // Act
      const error = thrownBy(() => parseWebhookBody(raw), ValidationError);

      // Assert
      expect(error.code).toBe('INVALID_JSON');
      expect(error.details).toEqual([expect.objectContaining({ field: key })]);
    });
  });

  describe('identities injected through an unescaped field', () => {
    test.each([
      ['a second user_id in the name, after the ids', `{"braze_id": "b-1", "user_id": "u-1", "profile_name": "x", "user_id": "victim", "message": "hi"}`, 'user_id'],
      ['a second user_id in the name, before the ids', `{"profile_name": "x", "user_id": "victim", "braze_id": "b-1", "user_id": "u-1", "message": "hi"}`, 'user_id'],
      ['a second braze_id for a sender without user_id', `{"braze_id": "b-1", "user_id": "", "profile_name": "x", "braze_id": "victim", "message": "hi"}`, 'braze_id'],
      ['a second user_id written with an escape', `{"braze_id": "b-1", "user_id": "u-1", "profile_name": "x", "us\\u0065r_id": "victim", "message": "hi"}`, 'user_id'],
      ['a braze_id after a broken name', `{"user_id": "", "profile_name": "x"y", "braze_id": "victim", "message": "hi"}`, 'braze_id'],
      ['a message_id after a broken name', `{"user_id": "u-1", "profile_name": "a \\ b", "message_id": "m-1", "message": "hi"}`, 'message_id'],
      ['a second message_id', `{"user_id": "u-1", "message_id": "m-1", "profile_name": "x", "message_id": "m-2", "message": "hi"}`, 'message_id'],
      ['a message_id the template lacks, written by the name', `{"braze_id": "b-1", "user_id": "u-1", "profile_name": "x", "message_id": "m-1", "message": "hi"}`, 'message_id'],
      ['a braze_id the template lacks, written by the name', `{"user_id": "", "profile_name": "x", "braze_id": "victim", "message": "hi"}`, 'braze_id'],
    ])('when the body has %s, then it is refused as ambiguous naming the field, never guessed', (_case, raw, field) => {
      // Arrange
      const body = raw;

      // Act
      const error = thrownBy(() => parseWebhookBody(body), ValidationError);

      // Assert
      expect(error.code).toBe('AMBIGUOUS_IDENTITY');
      expect(error.httpStatus).toBe(400);
      expect(error.details).toEqual([expect.objectContaining({ field })]);
    });

    test('when the name smuggles a message key, then the ids stay the template\'s and what follows is read as text', () => {
      // Arrange
      const raw = `{"braze_id": "b-1", "user_id": "u-1", "profile_name": "x", "message": "y", "user_id": "victim", "message": "hi"}`;

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed.fields).toMatchObject({ braze_id: 'b-1', user_id: 'u-1' });
      expect(parsed.recovered).toBe(true);
    });

    test.each([
      ['the guide\'s text that closes the message early', '", "x": "y'],
      ['a text that adds a known field after the message', 'ok", "media_urls": "https://x/y.jpg'],
      ['a text that adds a second message', 'a", "message": "b'],
    ])('when valid JSON has a key after message from %s, then the whole text is recovered', (_case, text) => {
      expectRecovered(text);
    });
  });
});
