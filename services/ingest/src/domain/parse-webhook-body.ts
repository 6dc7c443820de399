import { ValidationError } from '@bridge/shared';

/** Fields that decide who gets the reply (user_id, braze_id) or whether the message is a repeat (message_id). */
const IDENTITY_FIELDS = new Set(['user_id', 'braze_id', 'message_id']);
/** Fields the ingest can do without: when one is broken it is dropped, and the message kept. */
const OPTIONAL_FIELDS = new Set(['phone_number', 'profile_name', 'media_urls']);
/** The one field before `message` whose text the customer chooses (a WhatsApp display name). */
const CUSTOMER_TEXT_FIELD = 'profile_name';
/** Fields whose number form is an id: a JSON number would round its digits, so they are taken as written. */
const ID_LIKE_FIELDS = new Set(['user_id', 'braze_id', 'message_id', 'phone_number']);

const JSON_ESCAPE_HINT = 'in the Braze webhook template, insert the message and profile_name with | json_escape, put user_id and braze_id first and keep "message" the last field';

export interface ParsedBody {
  /** the body's fields: those the ingest reads, and `message`; others may be left out */
  fields: Record<string, unknown>;
  /** the text was inserted without `| json_escape` and was recovered */
  recovered: boolean;
  /** optional fields left out because they were not valid JSON, appeared twice, or may have been injected */
  dropped: string[];
}

/**
 * Reads the webhook body. The fields before the first `message` key are the template's, read as
 * JSON; everything after the quote that opens `message` is the customer's text. The text is taken
 * as one JSON string when it closes the object; otherwise it was inserted without `| json_escape`
 * and is recovered as everything up to the quote before the final `}` (keys after `message` are
 * never read). An identity field that is broken, written twice, or comes after text the customer
 * chooses (`profile_name`, or a field that is not valid JSON) is refused with a 400 naming it,
 * never guessed; a broken optional field is dropped and the message kept.
 */
export function parseWebhookBody(raw: string): ParsedBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return readTolerantly(raw);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError('INVALID_BODY', 'The body must be a JSON object');
  }
  return readValidJson(raw, parsed as Record<string, unknown>) ?? readTolerantly(raw);
}

/**
 * The common case, cheaply: valid JSON whose fields before `message` have no escapes (so every
 * quote there is a real one), are each there once and hold no numbers in id fields, and whose
 * `message` is one string closing the object. Anything else (undefined) is read tolerantly.
 */
function readValidJson(raw: string, parsed: Record<string, unknown>): ParsedBody | undefined {
  const clean = { fields: parsed, recovered: false, dropped: [] };
  const at = raw.indexOf('"message"');
  // no message at all: the payload check names it
  if (at < 0) return parsed.message === undefined ? clean : undefined;
  const header = raw.slice(0, at);
  if (header.includes('\\')) return undefined;
  const colon = skipWs(raw, at + '"message"'.length);
  if (raw[colon] !== ':') return undefined;
  // a `message` nested in another field cannot close the whole object, so this one is the top-level key
  MESSAGE_CLOSES_OBJECT.lastIndex = skipWs(raw, colon + 1);
  if (!MESSAGE_CLOSES_OBJECT.test(raw)) return undefined;
  // every key being written out, a known one written twice shows as one more than the parsed object holds
  let written = 0;
  KNOWN_KEY.lastIndex = 0;
  while (KNOWN_KEY.test(header)) written++;
  const name = parsed[CUSTOMER_TEXT_FIELD] === undefined ? -1 : header.indexOf(QUOTED_CUSTOMER_TEXT_FIELD);
  if (name >= 0) {
    ADDRESSING_KEY.lastIndex = name;
    if (ADDRESSING_KEY.test(header)) return undefined;
  }
  let held = 0;
  for (const key of KNOWN_FIELDS) {
    const value = parsed[key];
    if (value === undefined) continue;
    if (typeof value === 'number' && ID_LIKE_FIELDS.has(key)) return undefined;
    held++;
  }
  return written === held ? clean : undefined;
}
const MESSAGE_CLOSES_OBJECT = /"(?:[^"\\]|\\.)*"\s*}\s*$/y;
const KNOWN_FIELDS = [...IDENTITY_FIELDS, ...OPTIONAL_FIELDS];
const KNOWN_KEY = new RegExp(`"(?:${KNOWN_FIELDS.join('|')})"\\s*:`, 'g');
const QUOTED_CUSTOMER_TEXT_FIELD = `"${CUSTOMER_TEXT_FIELD}"`;
const ADDRESSING_KEY = new RegExp(`"(?:${[...IDENTITY_FIELDS, 'phone_number'].join('|')})"`, 'g');

/** Reads a body that is not valid JSON, or is but carries marks of text inserted without json_escape, in one pass. */
function readTolerantly(raw: string): ParsedBody {
  let i = skipWs(raw, 0);
  if (raw[i] !== '{') throw notAnObject(raw);
  const fields: Record<string, unknown> = {};
  const dropped: string[] = [];
  const seen = new Set<string>();
  /** why what follows may be the customer's text: a field the template did not write as JSON, or the display name */
  let suspect: string | undefined;
  let previous: { key: string; valueStart: number } | undefined;
  let broken = 0;

  const drop = (key: string) => {
    delete fields[key];
    if (OPTIONAL_FIELDS.has(key) && !dropped.includes(key)) dropped.push(key);
    suspect ??= 'follows a field that is not valid JSON';
  };
  /** The value is not JSON: an identity field refuses the body; any other is dropped, and reading goes on at the next key. */
  const skipBroken = (key: string, valueStart: number, problem: string): number => {
    if (IDENTITY_FIELDS.has(key)) throw brokenField(key, problem);
    // each broken field may search to the end of the body: a rendered template has only a handful
    if (++broken > MAX_BROKEN_FIELDS) throw unreadable(`more than ${MAX_BROKEN_FIELDS} fields before "message" are not valid JSON`);
    seen.add(key);
    drop(key);
    const next = nextKeyAfter(raw, valueStart);
    if (next < 0) throw unreadable('a field before "message" is not valid JSON');
    return next;
  };
  const take = (key: string, valueStart: number, valueEnd: number) => {
    if (seen.has(key)) {
      if (IDENTITY_FIELDS.has(key)) throw ambiguous(key, 'appears twice');
      drop(key);
      return;
    }
    seen.add(key);
    if (suspect && IDENTITY_FIELDS.has(key)) throw ambiguous(key, `${suspect}, so it may be part of the customer's text: put the ids first`);
    // in user_alias mode the phone addresses the reply: never take it from where text may have put it
    const value = suspect && key === 'phone_number' ? BROKEN : readValue(raw, key, valueStart, valueEnd);
    if (value === BROKEN) drop(key);
    else fields[key] = value;
    if (key === CUSTOMER_TEXT_FIELD) suspect ??= `follows ${CUSTOMER_TEXT_FIELD}, whose text the customer chooses`;
  };

  i = skipWs(raw, i + 1);
  if (raw[i] === '}') return endOfObject(raw, i, { fields, recovered: false, dropped });
  for (;;) {
    const keyEnd = skipString(raw, i);
    const colon = keyEnd < 0 ? -1 : skipWs(raw, keyEnd);
    const key = colon < 0 || raw[colon] !== ':' ? undefined : decodeKey(raw.slice(i, keyEnd));
    if (key === undefined) {
      // no field name where one must be: the previous value held an unescaped quote
      if (!previous) throw unreadable('no field name after "{"');
      i = skipBroken(previous.key, previous.valueStart, 'is followed by something that is not a field');
      previous = undefined;
      continue;
    }
    const valueStart = skipWs(raw, colon + 1);
    if (key === 'message') return readMessage(raw, valueStart, seen.size > 0, { fields, recovered: false, dropped });

    const valueEnd = skipValue(raw, valueStart);
    const after = valueEnd < 0 ? -1 : skipWs(raw, valueEnd);
    if (after < 0 || (raw[after] !== ',' && raw[after] !== '}')) {
      i = skipBroken(key, valueStart, 'is not valid JSON');
      previous = undefined;
      continue;
    }
    if (IDENTITY_FIELDS.has(key) || OPTIONAL_FIELDS.has(key)) take(key, valueStart, valueEnd);
    previous = { key, valueStart };
    if (raw[after] === '}') return endOfObject(raw, after, { fields, recovered: false, dropped });
    i = skipWs(raw, after + 1);
  }
}

const BROKEN = Symbol('broken');
const MAX_BROKEN_FIELDS = 16;

/** A field's value; an id written as a whole number keeps its exact digits. */
function readValue(raw: string, key: string, start: number, end: number): unknown {
  const c = raw.charCodeAt(start);
  if (c === QUOTE) {
    const text = decodeString(raw, start, end);
    if (text !== undefined) return text;
    if (IDENTITY_FIELDS.has(key)) throw brokenField(key, 'is not a valid JSON string');
    return BROKEN;
  }
  if (ID_LIKE_FIELDS.has(key) && (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9))) {
    const literal = raw.slice(start, end);
    if (WHOLE_NUMBER.test(literal)) return literal;
    if (IDENTITY_FIELDS.has(key)) throw new ValidationError('INVALID_PAYLOAD', `Invalid webhook body: ${key} must be a string or a whole number`, [
      { field: key, problem: 'is a number with a fraction or an exponent, which cannot be an id: put quotes around the Liquid tag' },
    ]);
    return BROKEN;
  }
  try {
    return JSON.parse(raw.slice(start, end));
  } catch {
    if (IDENTITY_FIELDS.has(key)) throw brokenField(key, 'is not valid JSON');
    return BROKEN;
  }
}

function readMessage(raw: string, start: number, hasTemplateFields: boolean, body: ParsedBody): ParsedBody {
  if (raw.charCodeAt(start) !== QUOTE) {
    // not text at all (a number, null...): kept when the object ends there, for the payload check to name it
    const end = skipValue(raw, start);
    if (end < 0) throw unreadable('"message" is not valid JSON');
    body.fields.message = readValue(raw, 'message', start, end);
    if (body.fields.message === BROKEN) throw unreadable('"message" is not valid JSON');
    return endOfObject(raw, skipWs(raw, end), body);
  }
  const closingQuote = quoteBeforeFinalBrace(raw);
  if (closingQuote > start && skipString(raw, start) === closingQuote + 1) {
    const text = decodeString(raw, start, closingQuote + 1);
    if (text !== undefined) {
      body.fields.message = text;
      return body;
    }
  }
  // the text was pasted in as it is: it runs to the quote before the final brace
  if (closingQuote <= start) throw unreadable('"message" is not followed by the end of the object');
  // with no field of the template before it, nothing in the body is known to be the template's
  if (!hasTemplateFields) {
    throw new ValidationError('MESSAGE_NOT_LAST', `Fields after "message" are not read, and none of user_id, braze_id, phone_number, profile_name, media_urls, message_id comes before it; ${JSON_ESCAPE_HINT}`, [
      { field: 'message', problem: 'must be the last field, after user_id and braze_id' },
    ]);
  }
  body.fields.message = decodeText(raw.slice(start + 1, closingQuote));
  body.recovered = true;
  return body;
}

/** Escaped text decodes as JSON; anything else was inserted verbatim and is kept as it is. */
function decodeText(text: string): string {
  return JSON_STRING_CONTENT.test(text) ? (JSON.parse(`"${text}"`) as string) : text;
}
/** What may stand between the quotes of a JSON string (checked up front: a failing JSON.parse is slow). */
const JSON_STRING_CONTENT = /^(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*$/;

/** The value of the JSON string raw[start, end), or undefined when it is not a valid one. */
function decodeString(raw: string, start: number, end: number): string | undefined {
  for (let j = start + 1; j < end - 1; j++) {
    const c = raw.charCodeAt(j);
    if (c === BACKSLASH || c < 0x20) {
      try {
        return JSON.parse(raw.slice(start, end)) as string;
      } catch {
        return undefined;
      }
    }
  }
  return raw.slice(start + 1, end - 1);
}

function decodeKey(quoted: string): string | undefined {
  if (!quoted.includes('\\')) return quoted.slice(1, -1);
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}

/** After the object's closing brace only whitespace may follow. */
function endOfObject(raw: string, brace: number, body: ParsedBody): ParsedBody {
  if (raw[brace] !== '}' || skipWs(raw, brace + 1) !== raw.length) throw unreadable('something follows the end of the object');
  return body;
}

/** Index of the `"` in the body's final `"}` (whitespace allowed around the brace), or -1. */
function quoteBeforeFinalBrace(raw: string): number {
  let j = raw.length - 1;
  while (j >= 0 && isWs(raw.charCodeAt(j))) j--;
  if (raw[j] !== '}') return -1;
  j--;
  while (j >= 0 && isWs(raw.charCodeAt(j))) j--;
  return raw[j] === '"' ? j : -1;
}

/**
 * Where reading resumes after a broken value: the next `, "<name>":`. The text skipped to get
 * there may hide a field of the template as well as the customer's: one naming an identity field
 * makes the body ambiguous.
 */
function nextKeyAfter(raw: string, valueStart: number): number {
  NEXT_KEY.lastIndex = valueStart + 1;
  for (let m = NEXT_KEY.exec(raw); m; m = NEXT_KEY.exec(raw)) {
    if (decodeKey(m[1]!) === undefined) continue;
    const quote = m.index + m[0].indexOf('"');
    const skipped = raw.slice(valueStart, quote);
    for (const k of skipped.matchAll(KEY_IN_TEXT)) {
      const key = decodeKey(k[1]!);
      if (key !== undefined && IDENTITY_FIELDS.has(key)) throw ambiguous(key, 'is inside a field that is not valid JSON');
    }
    return quote;
  }
  return -1;
}
const NEXT_KEY = /,\s*("(?:[^"\\\r\n]|\\.)*")\s*:/g;
const KEY_IN_TEXT = /("(?:[^"\\\r\n]|\\.)*")\s*:/g;

function notAnObject(raw: string): ValidationError {
  try {
    JSON.parse(raw);
  } catch {
    return unreadable('it does not start with "{"');
  }
  return new ValidationError('INVALID_BODY', 'The body must be a JSON object');
}

const unreadable = (why: string) => new ValidationError('INVALID_JSON', `The body is not valid JSON (${why}); ${JSON_ESCAPE_HINT}`);

const brokenField = (field: string, problem: string) =>
  new ValidationError('INVALID_JSON', `The body is not valid JSON: ${field} ${problem}`, [{ field, problem }]);

const ambiguous = (field: string, problem: string) =>
  new ValidationError('AMBIGUOUS_IDENTITY', `The body does not say who sent it: ${field} ${problem}; ${JSON_ESCAPE_HINT}`, [{ field, problem }]);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const WHOLE_NUMBER = /^-?(?:0|[1-9]\d*)$/;
const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** Index after the JSON string starting at i, or -1 (a raw line break ends it as broken). */
function skipString(s: string, i: number): number {
  if (s.charCodeAt(i) !== QUOTE) return -1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
    else if (c === 0x0a || c === 0x0d) return -1;
  }
  return -1;
}

/** Index after the JSON value starting at i, or -1. Objects and arrays are only balanced here, not checked. */
function skipValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return skipString(s, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s[j];
      if (d === '"') {
        j = skipString(s, j) - 1;
        if (j < 0) return -1;
      } else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  LITERAL.lastIndex = i;
  return LITERAL.test(s) ? LITERAL.lastIndex : -1;
}
