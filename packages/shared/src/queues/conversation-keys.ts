import { createHash } from 'node:crypto';
import type { Recipient } from './jobs';

const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

/**
 * A conversation is one Braze user. Its id is a hash, so no external id or phone number
 * appears in Redis key names; the prefix says which identifier it came from.
 */
export function conversationIdFor(recipient: Recipient): string {
  if ('external_user_id' in recipient) return `u${digest(recipient.external_user_id)}`;
  if ('braze_id' in recipient) return `b${digest(recipient.braze_id)}`;
  // the label is part of the alias: the same name under another label is another user
  return `a${digest(JSON.stringify([recipient.user_alias.alias_label, recipient.user_alias.alias_name]))}`;
}

/**
 * A lane is one ordered sequence of work within a conversation: `in` (inbound messages, one turn
 * each), `agent` (agent replies), `ev` (agent events) and `ev:<sink>` (their delivery to one sink).
 * Each lane hands out numbers and passes its turn on by itself, so a slow lane never holds up another.
 */
export type Lane = 'in' | 'agent' | 'ev' | `ev:${string}`;

/**
 * Redis keys of one conversation. The id sits in {braces} so that, on Redis Cluster, all of a
 * conversation's keys share a slot and its Lua calls stay legal.
 */
export function conversationKeys(prefix: string, conversationId: string) {
  const base = `${prefix}:conv:{${conversationId}}`;
  /** the inbound lane keeps the key names it had before lanes existed, so an upgrade keeps its place */
  const laneBase = (lane: Lane) => (lane === 'in' ? base : `${base}:lane:${lane}`);
  return {
    /** last sequence number handed out in the inbound lane */
    seq: `${base}:seq`,
    /** the inbound sequence number whose turn it is (missing = 1) */
    next: `${base}:next`,
    /** hash: inbound sequence number -> "<job id>|<epoch ms>" or "void" */
    jobs: `${base}:jobs`,
    lane: (lane: Lane) => ({ seq: `${laneBase(lane)}:seq`, next: `${laneBase(lane)}:next`, jobs: `${laneBase(lane)}:jobs` }),
    /** hash: who owns the conversation, flow position, captured variables, last inbound time (see conversation-state.ts) */
    state: `${base}:state`,
    /** list of JSON transcript entries, oldest first: what agents see and what the AI remembers */
    history: `${base}:history`,
    /** a turn's committed decision, so a re-run never decides again nor pays for a second AI call */
    outcome: (jobId: string) => `${base}:outcome:${jobId}`,
    /** how many parts of a send job Braze accepted */
    sent: (jobId: string) => `${base}:sent:${jobId}`,
    /** tool calls a turn already carried out, by call id */
    tools: (jobId: string) => `${base}:tools:${jobId}`,
    /** idempotency key of a message_id (or of an event id, per lane) */
    dedupe: (messageId: string) => `${base}:dedupe:${digest(messageId)}`,
    /** inbound messages counted in one sender-limit window (window = ms / SENDER_RATE_WINDOW_MS) */
    senderCount: (window: number) => `${base}:rate:${window}`,
  };
}
export type ConversationKeys = ReturnType<typeof conversationKeys>;

/** Keys that are not one conversation's. */
export function bridgeKeys(prefix: string) {
  return {
    /** sorted set: handed-off conversation id -> time of the last agent activity (ms) */
    agentsWaiting: `${prefix}:agents:waiting`,
    /** pub/sub channel: a conversation id each time a handed-off conversation changes */
    agentsFeed: `${prefix}:agents:feed`,
    /** a braze_id -> the conversation id it belongs to (a user known by external id too) */
    brazeIdIndex: (brazeId: string) => `${prefix}:idx:braze:${digest(brazeId)}`,
  };
}

/** The sender limit (SENDER_RATE_LIMIT_PER_MINUTE) counts per clock minute of the ingest. */
export const SENDER_RATE_WINDOW_MS = 60_000;

/** How long a person's conversation data outlives their last message, unless CONVERSATION_TTL_HOURS says otherwise. */
export const DEFAULT_CONVERSATION_TTL_HOURS = 72;
