/**
 * Making an AI answer fit WhatsApp: an answer the model stopped in the middle of (finish_reason
 * "length") ends at its last complete sentence or line; an answer longer than one message may be
 * is split at paragraphs, lines or sentences; what would not fit in the allowed number of messages
 * is cut after a sentence, with an ellipsis. Pure.
 */

export interface FitSettings {
  /** REPLY_MAX_CHARS */
  maxChars: number;
  /** REPLY_MAX_PARTS */
  maxParts: number;
}

export interface Fitted {
  /** the messages to send, in order; empty when nothing complete was left */
  parts: string[];
  /** the model's answer was cut by its token limit (finish_reason "length") */
  cutAtLength: boolean;
  split: boolean;
  /** more than maxParts messages' worth: the rest was left out */
  cutTooLong: boolean;
}

const ELLIPSIS = ' …';
/** sentence-ending punctuation (a "." right after a digit is a number or a list marker), then closing quotes or brackets */
const SENTENCE_END = /(?:[!?…。！？]|(?<!\d)\.)["'”’»)\]]*(?=\s|$)/gu;

/** Indexes just after each sentence end in text. */
function sentenceEnds(text: string): number[] {
  return [...text.matchAll(SENTENCE_END)].map((m) => m.index + m[0].length);
}

/** Indexes just before each line break (a run of newlines); paragraphs when the run has two or more. */
function lineEnds(text: string, paragraphsOnly: boolean): number[] {
  return [...text.matchAll(paragraphsOnly ? /\n[ \t]*\n/g : /\n/g)].map((m) => m.index);
}

const lastAtMost = (indexes: number[], limit: number, from = 1) => indexes.filter((i) => i >= from && i <= limit).pop();

/** Never between the halves of a surrogate pair. */
function safeCut(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/** Where to end a chunk of at most `limit` characters: a paragraph, a line, a sentence, a space, or (no choice) the limit. */
function breakAt(text: string, limit: number): number {
  const half = Math.floor(limit / 2);
  const sentences = sentenceEnds(text);
  const lines = lineEnds(text, false);
  return lastAtMost(lineEnds(text, true), limit, half)
    ?? lastAtMost(lines, limit, half)
    ?? lastAtMost(sentences, limit, Math.floor(limit * 0.3))
    ?? lastAtMost([...lines, ...sentences].sort((a, b) => a - b), limit)
    ?? lastAtMost([...text.slice(0, limit + 1).matchAll(/\s/g)].map((m) => m.index), limit)
    ?? safeCut(text, limit);
}

/** The text up to its last complete sentence or line, or '' when it has none. */
export function completeSentences(text: string): string {
  const end = Math.max(lastAtMost(sentenceEnds(text), text.length) ?? 0, lastAtMost(lineEnds(text, false), text.length) ?? 0);
  return text.slice(0, end).trimEnd();
}

export function fitReply(answer: string, finishReason: string | undefined, s: FitSettings): Fitted {
  let text = answer.trim();
  const cutAtLength = finishReason === 'length';
  if (cutAtLength) text = completeSentences(text);
  if (text.length <= s.maxChars) return { parts: text ? [text] : [], cutAtLength, split: false, cutTooLong: false };

  const parts: string[] = [];
  let rest = text;
  while (rest.length > s.maxChars && parts.length < s.maxParts - 1) {
    const at = breakAt(rest, s.maxChars);
    parts.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  let cutTooLong = false;
  if (rest.length > s.maxChars) {
    cutTooLong = true;
    const room = s.maxChars - ELLIPSIS.length;
    const kept = completeSentences(rest.slice(0, room)) || rest.slice(0, breakAt(rest, room)).trimEnd();
    rest = `${kept}${ELLIPSIS}`;
  }
  parts.push(rest);
  return { parts: parts.filter(Boolean), cutAtLength, split: parts.length > 1, cutTooLong };
}
