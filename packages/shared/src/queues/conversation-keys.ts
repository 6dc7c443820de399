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
 * Redis keys of one conversation. The id sits in {braces} so that, on Redis Cluster, all of a
 * conversation's keys share a slot and its MULTI/Lua calls stay legal.
 */
export function conversationKeys(prefix: string, conversationId: string) {
  const base = `${prefix}:conv:{${conversationId}}`;
  return {
    /** last sequence number handed out by the ingest */
    seq: `${base}:seq`,
    /** the sequence number whose turn it is (missing = 1) */
    next: `${base}:next`,
    /** hash: sequence number -> "<generate job id>|<epoch ms>" or "void" */
    jobs: `${base}:jobs`,
    /** list of {role, content} JSON turns, oldest first */
    history: `${base}:history`,
    /** the generated reply of one job, so a re-run never pays for a second AI call */
    reply: (jobId: string) => `${base}:reply:${jobId}`,
    /** set once Braze accepted the reply of one job */
    sent: (jobId: string) => `${base}:sent:${jobId}`,
    /** idempotency key of a message_id */
    dedupe: (messageId: string) => `${base}:dedupe:${digest(messageId)}`,
  };
}

/** How long conversation bookkeeping outlives its last message. */
export const CONVERSATION_STATE_TTL_SECONDS = 7 * 24 * 3600;
