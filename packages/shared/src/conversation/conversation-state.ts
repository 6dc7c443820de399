import { Contact, Recipient } from '../queues/jobs';

/** Where a conversation stands in a flow of the conversation file. */
export interface FlowPosition {
  name: string;
  step: string;
  /** answers that did not fit the current step's capture */
  retries: number;
  /** when the flow last moved (ms): it ends after its idle timeout */
  at: number;
}

/** A conversation's state hash, read. Absent fields are the bot's defaults. */
export interface ConversationState {
  owner: 'bot' | 'agent';
  /** +1 on every change of owner: a reply decided under another epoch is not the owner's to send */
  epoch: number;
  /** when the agent took over (ms) */
  since?: number;
  reason?: string;
  /** when the last agent message was accepted (ms) */
  agentAt?: number;
  agentName?: string;
  /** customer messages since the last agent message, while handed off */
  unanswered: number;
  flow?: FlowPosition;
  vars: Record<string, string>;
  route?: string;
  recipient?: Recipient;
  /** the Braze id of a user known by external id too */
  brazeId?: string;
  contact?: Contact;
  /** when the ingest received the latest inbound message (ms): the 24-hour window */
  lastInboundAt?: number;
  /** the sender-limit window (ms / SENDER_RATE_WINDOW_MS) whose SENDER_RATE_LIMIT_TEXT went out */
  limitToldWindow?: number;
}

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
function json<T>(v: string | undefined, parse: (x: unknown) => T | undefined): T | undefined {
  if (!v) return undefined;
  try {
    return parse(JSON.parse(v));
  } catch {
    return undefined;
  }
}

/** From HGETALL of the state hash (an empty object for a conversation never seen). */
export function readState(hash: Record<string, string>): ConversationState {
  return {
    owner: hash.owner === 'agent' ? 'agent' : 'bot',
    epoch: num(hash.epoch) ?? 0,
    since: num(hash.since),
    reason: hash.reason,
    agentAt: num(hash.agent_at),
    agentName: hash.agent_name,
    unanswered: num(hash.unanswered) ?? 0,
    flow: json(hash.flow, (x) => x as FlowPosition),
    vars: json(hash.vars, (x) => (x && typeof x === 'object' ? (x as Record<string, string>) : undefined)) ?? {},
    route: hash.route,
    recipient: json(hash.recipient, (x) => Recipient.safeParse(x).data),
    brazeId: hash.braze_id,
    contact: json(hash.contact, (x) => Contact.safeParse(x).data),
    lastInboundAt: num(hash.last_in),
    limitToldWindow: num(hash.limit_told),
  };
}

/** Redis replies a hash as a flat [field, value, ...] list inside Lua results. */
export function hashFromPairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!;
  return out;
}

/** A transcript entry: who said what, when. Notes mark handoffs; drafts are bot replies never delivered. */
export interface TranscriptEntry {
  at: number;
  who: 'customer' | 'bot' | 'agent' | 'note';
  text?: string;
  /** bot: the reply kind; note: handoff_started | handoff_ended | delivery_failed */
  kind?: string;
  agent?: string;
  draft?: boolean;
  media?: number;
  /** a customer message over the sender limit: kept, never answered by the bot */
  limited?: boolean;
  /** the customer's media (Braze keeps the URLs valid for 7 days) */
  mediaUrls?: string[];
  /** the text is the transcript of a voice message */
  transcribed?: boolean;
  reason?: string;
  since?: number;
  until?: number;
  /** customer, while handed off with AGENT_ASSIST: the AI's suggested reply for the agent (never sent by itself) */
  suggested?: string;
}

/** Entries written before the transcript existed were AI turns: {role, content}. */
export function readEntry(line: string): TranscriptEntry | undefined {
  try {
    const e = JSON.parse(line) as Partial<TranscriptEntry> & { role?: string; content?: string };
    if (e.who) return e as TranscriptEntry;
    if (e.role === 'user') return { at: 0, who: 'customer', text: e.content };
    if (e.role === 'assistant') return { at: 0, who: 'bot', text: e.content };
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lua that appends transcript entries (a Lua table of JSON strings) to a conversation's history
 * list, keeps its last `max` and renews its expiry: one text for every script that writes a turn.
 */
export const appendTranscriptLua = (list: string, entries: string, max: string, ttl: string) => `
for _, e in ipairs(${entries}) do redis.call('RPUSH', ${list}, e) end
redis.call('LTRIM', ${list}, -tonumber(${max}), -1)
redis.call('EXPIRE', ${list}, ${ttl})`;
