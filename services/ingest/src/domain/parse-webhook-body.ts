import { ValidationError } from '@bridge/shared';

/** Fields the ingest reads; `message` is the customer's text and must never override them. */
const KNOWN_FIELDS = new Set(['user_id', 'braze_id', 'phone_number', 'profile_name', 'media_urls', 'message_id']);

export interface ParsedBody {
  fields: Record<string, unknown>;
  /** the text was inserted without `| json_escape` and was recovered */
  recovered: boolean;
}

/**
 * Parses the webhook body. Valid JSON is taken as it is, unless it carries the marks of text
 * inserted verbatim into the template: a duplicated key, or a known field appearing after
 * `message` when the template put its fields before it (so keep `message` the last field). Such bodies, and bodies that are not
 * valid JSON, are recovered by reading every field before `message` as JSON and everything
 * between the quote that opens `message` and the quote before the final `}` as the text.
 */
export function parseWebhookBody(raw: string): ParsedBody {
  let strict: unknown;
  let strictError: Error | undefined;
  try {
    strict = JSON.parse(raw);
  } catch (err) {
    strictError = err as Error;
  }
  if (strictError === undefined) {
    if (strict === null || typeof strict !== 'object' || Array.isArray(strict)) {
      throw new ValidationError('INVALID_BODY', 'The body must be a JSON object');
    }
    if (endsWithOnlyMessage(raw) || !looksInjected(topLevelKeys(raw))) return { fields: strict as Record<string, unknown>, recovered: false };
  }
  const recovered = recoverVerbatimMessage(raw);
  if (!recovered) {
    throw new ValidationError('INVALID_JSON',
      `The body is not valid JSON (${strictError?.message ?? 'duplicate keys'}); if the message text is inserted by Liquid, use {{...inbound_message_body | json_escape}} and keep "message" the last field`);
  }
  return { fields: recovered, recovered: true };
}

/**
 * The common case, cheaply: valid JSON whose one `"message"` key is the last field, so no text
 * can have added a field after it.
 */
function endsWithOnlyMessage(raw: string): boolean {
  const at = raw.indexOf('"message"');
  return at >= 0 && at === raw.lastIndexOf('"message"') && /"message"\s*:\s*"(?:[^"\\]|\\.)*"\s*}\s*$/.test(raw.slice(at));
}

function looksInjected(keys: string[]): boolean {
  if (new Set(keys).size !== keys.length) return true;
  const at = keys.indexOf('message');
  if (at < 0) return false;
  const knownBefore = keys.slice(0, at).some((k) => KNOWN_FIELDS.has(k));
  const knownAfter = keys.slice(at + 1).some((k) => KNOWN_FIELDS.has(k));
  return knownBefore && knownAfter;
}

function recoverVerbatimMessage(raw: string): Record<string, unknown> | undefined {
  const end = /"\s*}\s*$/.exec(raw);
  if (!end) return undefined;
  const closingQuote = end.index;
  const fields: Record<string, unknown> = {};
  let i = skipWs(raw, 0);
  if (raw[i] !== '{') return undefined;
  i = skipWs(raw, i + 1);
  while (i < closingQuote) {
    const keyEnd = skipString(raw, i);
    if (keyEnd < 0) return undefined;
    const key = JSON.parse(raw.slice(i, keyEnd)) as string;
    i = skipWs(raw, keyEnd);
    if (raw[i] !== ':') return undefined;
    i = skipWs(raw, i + 1);
    if (key === 'message') {
      // recovery reads the template's own fields first: with none before the text, nothing is trustworthy
      if (raw[i] !== '"' || i >= closingQuote || !Object.keys(fields).some((k) => KNOWN_FIELDS.has(k))) return undefined;
      fields.message = decodeText(raw.slice(i + 1, closingQuote));
      return fields;
    }
    const valueEnd = skipValue(raw, i);
    if (valueEnd < 0 || valueEnd > closingQuote) return undefined;
    if (key in fields) return undefined;
    fields[key] = JSON.parse(raw.slice(i, valueEnd));
    i = skipWs(raw, valueEnd);
    if (raw[i] !== ',') return undefined;
    i = skipWs(raw, i + 1);
  }
  return undefined;
}

/** Escaped text decodes as JSON; anything else was inserted verbatim and is kept as it is. */
function decodeText(text: string): string {
  if (!/[\u0000-\u001f"]/.test(text.replace(/\\./g, ''))) {
    try {
      return JSON.parse(`"${text}"`) as string;
    } catch {
      // a lone backslash: verbatim
    }
  }
  return text;
}

/** Keys of the top-level object of a valid JSON text, in order, duplicates kept. */
export function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let i = skipWs(json, 0);
  if (json[i] !== '{') return keys;
  i = skipWs(json, i + 1);
  while (i < json.length && json[i] !== '}') {
    const keyEnd = skipString(json, i);
    if (keyEnd < 0) return keys;
    keys.push(JSON.parse(json.slice(i, keyEnd)) as string);
    i = skipWs(json, skipWs(json, keyEnd) + 1);
    i = skipWs(json, skipValue(json, i));
    if (json[i] === ',') i = skipWs(json, i + 1);
  }
  return keys;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

/** Index after the JSON string starting at i, or -1. */
function skipString(s: string, i: number): number {
  if (s[i] !== '"') return -1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
    else if (c === '\n' || c === '\r') return -1;
  }
  return -1;
}

/** Index after the JSON value starting at i, or -1. */
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
  const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(s.slice(i, i + 64));
  return m ? i + m[0].length : -1;
}
