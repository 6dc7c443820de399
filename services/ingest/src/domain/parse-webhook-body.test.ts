import { ValidationError } from '@bridge/shared';
import { thrownBy } from '../../../../test/helpers/thrown-by';
import { parseWebhookBody, topLevelKeys } from './parse-webhook-body';

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
  expect(parsed).toEqual({ fields: { ...IDS, message: text }, recovered: true });
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
      expect(parsed).toEqual({ fields: { ...IDS, message: text }, recovered: false });
    });

    test('when a valid body puts message first and user_id after, then it is accepted as it is', () => {
      // Arrange
      const raw = JSON.stringify({ message: 'He said "hi", "user_id": "x"', user_id: 'customer-42', braze_id: 'b-1' });

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({
        fields: { message: 'He said "hi", "user_id": "x"', user_id: 'customer-42', braze_id: 'b-1' },
        recovered: false,
      });
    });

    test('when a valid body has extra fields and non-string values, then they are kept as parsed', () => {
      // Arrange
      const raw = JSON.stringify({ user_id: 7, media_urls: ['https://x/y.jpg'], extra: { a: [1, null, true] }, message: '' });

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({
        fields: { user_id: 7, media_urls: ['https://x/y.jpg'], extra: { a: [1, null, true] }, message: '' },
        recovered: false,
      });
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
      expect(parsed).toEqual({ fields: { ...IDS, message: text }, recovered: true });
    });

    test('when whitespace follows the closing brace, then the text is recovered exactly', () => {
      // Arrange
      const text = 'He said "hello"';
      const raw = `${renderTemplate(text, 'verbatim')} \r\n\t \n`;

      // Act
      const parsed = parseWebhookBody(raw);

      // Assert
      expect(parsed).toEqual({ fields: { ...IDS, message: text }, recovered: true });
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
    test('when message is not the last field and the text is verbatim, then it is refused with a hint to use json_escape', () => {
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
      expect(error.code).toBe('INVALID_JSON');
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
});

describe('topLevelKeys', () => {
  test('when a valid JSON object has duplicate keys, then they are all kept in order', () => {
    // Arrange
    const json = '{"a": 1, "b": {"a": 2, "c": [3, {"d": 4}]}, "a": "x", "e": null, "b": true}';

    // Act
    const keys = topLevelKeys(json);

    // Assert
    expect(keys).toEqual(['a', 'b', 'a', 'e', 'b']);
  });

  test('when keys are escaped or string values hold braces and commas, then only top-level keys are listed', () => {
    // Arrange
    const json = '{\n  "us\\u0065r_id": "}{,\\"",\r\n  "message": "a \\"b\\": c"\n}';

    // Act
    const keys = topLevelKeys(json);

    // Assert
    expect(keys).toEqual(['user_id', 'message']);
  });

  test('when the text is not an object, then there are no keys', () => {
    // Arrange
    const inputs = ['[1, 2]', '"str"', '{}'];

    // Act
    const results = inputs.map(topLevelKeys);

    // Assert
    expect(results).toEqual([[], [], []]);
  });
});
