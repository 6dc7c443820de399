import fc from 'fast-check';
import { AppError, type Recipient } from '@bridge/shared';
import { toInboundMessage, type InboundMessage, type UnknownSenderRecipient } from '../../services/ingest/src/domain/inbound-message';
import { parseWebhookBody } from '../../services/ingest/src/domain/parse-webhook-body';

/**
 * fast-check arbitraries for webhook bodies: random input, and bodies as Braze renders the
 * README's template (`| json_escape`) and its guide's (the text pasted in as it is), carrying
 * hostile text.
 */

export type Read =
  | { accepted: true; inbound: InboundMessage; recovered: boolean; dropped: string[] }
  | { accepted: false; error: AppError };

/** What the webhook route does with a body, short of storing it. Any error but a client error (4xx AppError) is rethrown. */
export function readWebhook(raw: string, unknownSender: UnknownSenderRecipient = 'braze_id'): Read {
  try {
    const parsed = parseWebhookBody(raw);
    const { inbound, dropped } = toInboundMessage(parsed.fields, unknownSender);
    return { accepted: true, inbound, recovered: parsed.recovered, dropped: [...parsed.dropped, ...dropped] };
  } catch (err) {
    if (err instanceof AppError && err.httpStatus !== undefined && err.httpStatus >= 400 && err.httpStatus < 500) return { accepted: false, error: err };
    throw err;
  }
}

/** json_escape as Braze documents it (and brazejs implements it): JSON string content without the quotes. */
export const jsonEscape = (text: string) => JSON.stringify(text).slice(1, -1);

/** What a JSON reader makes of text pasted between quotes: escapes decode when they form a valid string, else it stays as it is. */
export function verbatimReading(text: string): string {
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return text;
  }
}

/** Text a customer can type, biased to what breaks JSON and tries to inject fields. */
const HOSTILE_PIECES = [
  '"', '\\', '\\\\', '\\"', '", "user_id": "x', '", "braze_id": "victim', '", "message_id": "m-1', '", "phone_number": "+1999',
  '", "x": "y', '", "message": "', '"}', '{', '}', '[', ']', ':', ',', '\n', '\r\n', '\t', '\u0000', '\u001f', '\u2028',
  '\ud800', '\udfff', '😀', 'é', '\\u0065', '\\n', '\\x', ' ', 'user_id', 'message',
];
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ maxLength: 8 })), { maxLength: 12 }).map((p) => p.join('')), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.tuple(fc.integer({ min: 1000, max: 10_000 }), fc.constantFrom(...HOSTILE_PIECES)).map(([n, p]) => `${'x'.repeat(n)}${p}`), weight: 1 },
);

/** Ids as Braze holds them: the template puts them in without escaping, so they never carry a quote. */
export const idString = fc.stringMatching(/^[A-Za-z0-9_.@-]{1,30}$/);
const phone = fc.oneof(fc.stringMatching(/^\+[1-9][0-9]{6,14}$/), fc.constant(''));

export interface Identity {
  user_id: string;
  braze_id: string;
  phone_number: string;
}
export const identity: fc.Arbitrary<Identity> = fc.record({
  user_id: fc.oneof(idString, fc.constant('')),
  braze_id: fc.oneof({ arbitrary: idString, weight: 4 }, { arbitrary: fc.constant(''), weight: 1 }),
  phone_number: phone,
});

/** The reply's recipient the template's own ids call for, or undefined when they name no one. */
export function ownRecipient(ids: { user_id?: string; braze_id?: string; phone_number?: string }, unknownSender: UnknownSenderRecipient): Recipient | undefined {
  const [user, braze, tel] = [ids.user_id?.trim(), ids.braze_id?.trim(), ids.phone_number?.trim()];
  if (user) return { external_user_id: user };
  if (unknownSender === 'user_alias' && tel) return { user_alias: { alias_name: tel, alias_label: 'phone' } };
  if (braze) return { braze_id: braze };
  return undefined;
}

/** Pretty-printed like the README (either line ending) or on one line. */
const layout = fc.constantFrom({ open: '{\n  ', sep: ',\n  ', close: '\n}' }, { open: '{\r\n  ', sep: ',\r\n  ', close: '\r\n}\r\n' }, { open: '{', sep: ', ', close: '}' });

export type Template = 'readme' | 'readme-unescaped-name' | 'guide';
export interface Rendered {
  template: Template;
  raw: string;
  ids: Identity;
  name: string;
  text: string;
}

/**
 * A body rendered from one of the templates:
 * - `readme`: braze_id, user_id, phone_number, profile_name and message, both texts through json_escape;
 * - `readme-unescaped-name`: the same with the display name pasted in as it is (the old README);
 * - `guide`: Braze's guide, user_id, phone_number and the text pasted in as it is, message last.
 */
export const renderedBody: fc.Arbitrary<Rendered> = fc
  .record({
    template: fc.constantFrom<Template>('readme', 'readme-unescaped-name', 'guide'),
    ids: identity,
    name: fc.oneof(hostileText, fc.string({ maxLength: 20 })),
    text: hostileText,
    layout,
  })
  .map(({ template, ids, name, text, layout: l }) => {
    const fields =
      template === 'guide'
        ? [`"user_id": "${ids.user_id}"`, `"phone_number": "${ids.phone_number}"`, `"message": "${text}"`]
        : [
          `"braze_id": "${ids.braze_id}"`, `"user_id": "${ids.user_id}"`, `"phone_number": "${ids.phone_number}"`,
          `"profile_name": "${template === 'readme' ? jsonEscape(name) : name}"`, `"message": "${jsonEscape(text)}"`,
        ];
    return { template, raw: l.open + fields.join(l.sep) + l.close, ids: template === 'guide' ? { ...ids, braze_id: '' } : ids, name, text };
  });

/** Known and unknown field names, as a template may hold them. */
const FIELD_NAMES = ['user_id', 'braze_id', 'message_id', 'phone_number', 'profile_name', 'media_urls', 'message', 'extra'] as const;
type FieldName = (typeof FIELD_NAMES)[number];
const IDENTITY_NAMES = new Set<FieldName>(['user_id', 'braze_id', 'message_id']);

/** One `"key": value` of a body as written. */
export interface Entry {
  key: FieldName;
  json: string;
  /** the id this entry's text stands for, exactly; `null` when it cannot be one (a fraction) */
  id?: string | null;
  /** the value is text pasted in without escaping */
  raw?: boolean;
}

const digits = fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n });
const idEntry = (key: FieldName): fc.Arbitrary<Entry> =>
  fc.oneof(
    { arbitrary: idString.map((id) => ({ key, json: JSON.stringify(id), id })), weight: 5 },
    { arbitrary: fc.constant({ key, json: '""', id: '' }), weight: 1 },
    { arbitrary: digits.map((n) => ({ key, json: String(n), id: String(n) })), weight: 2 },
    { arbitrary: fc.constantFrom('1.5', '1e21', '-0.0', '12345678901234567890.5', '2E3').map((literal) => ({ key, json: literal, id: null })), weight: 1 },
  );
/** Values a template renders wrongly, such as a phone number without quotes. */
const BROKEN_LITERALS = ['+15551234567', '[https://x/y.jpg]', "'single'", '{a}', 'tru', '01', '"unterminated', 'NaN', '"a\\ b"'];
/** The fields whose text the customer writes: a display name and the message. */
const CUSTOMER_TEXT = new Set<FieldName>(['profile_name', 'message']);
const otherEntry = (key: FieldName): fc.Arbitrary<Entry> =>
  fc.oneof(
    { arbitrary: fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileText, digits.map(String)).map((v) => ({ key, json: JSON.stringify(v) ?? 'null' })), weight: 4 },
    // deep nesting
    { arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => ({ key, json: `${'['.repeat(n)}${']'.repeat(n)}` })), weight: 1 },
    CUSTOMER_TEXT.has(key)
      // text pasted in without json_escape
      ? { arbitrary: hostileText.map((t) => ({ key, json: `"${t}"`, raw: true })), weight: 3 }
      : { arbitrary: fc.constantFrom(...BROKEN_LITERALS).map((json) => ({ key, json })), weight: 1 },
  );
const entry: fc.Arbitrary<Entry> = fc.constantFrom(...FIELD_NAMES).chain((key) => (IDENTITY_NAMES.has(key) ? idEntry(key) : otherEntry(key)));

/** A key as written: usually plain, sometimes with an escape that a JSON reader decodes to the same name. */
const writtenKey = (key: string) => fc.constantFrom(JSON.stringify(key), `"\\u00${key.charCodeAt(0).toString(16)}${key.slice(1)}"`);

export interface EntriesBody {
  raw: string;
  entries: Entry[];
}

/** Bodies of any field order, with duplicate keys, numbers where strings belong, deep nesting, broken values and pasted-in text. */
export const entriesBody: fc.Arbitrary<EntriesBody> = fc
  .array(entry, { minLength: 1, maxLength: 9 })
  .chain((entries) => fc.tuple(fc.constant(entries), fc.tuple(...entries.map((e) => writtenKey(e.key))), layout))
  .map(([entries, keys, l]) => ({ entries, raw: l.open + entries.map((e, i) => `${keys[i]}: ${e.json}`).join(l.sep) + l.close }));

/** The entries a body's template writes before any text the customer chooses: before the first `message` or `profile_name`. */
export function entriesBeforeCustomerText(entries: Entry[]): Entry[] {
  const at = entries.findIndex((e) => CUSTOMER_TEXT.has(e.key));
  return at < 0 ? entries : entries.slice(0, at);
}

/** Anything at all: bytes decoded as UTF-8, any string, any JSON. */
export const anyInput: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('utf8')),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ user_id: 'u-1', message: v })),
);

/** A rendered body with a few characters cut out, repeated or replaced: the body broken anywhere. */
export const mangledBody: fc.Arbitrary<string> = fc
  .tuple(renderedBody, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.constantFrom('', '"', '\\', '{', '}', ',', ':', '\n', 'x')), { minLength: 1, maxLength: 4 }))
  .map(([body, edits]) =>
    edits.reduce((raw, [at, cut, put]) => {
      const i = at % (raw.length + 1);
      return raw.slice(0, i) + put + raw.slice(i + cut);
    }, body.raw));
