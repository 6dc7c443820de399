import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import { claimPlace, markPlaceStored } from '../conversation/lanes';
import { hashFromPairs, readEntry, readState, type ConversationState, type TranscriptEntry } from '../conversation/conversation-state';
import { AppError, ValidationError } from '../errors/app-error';
import { bridgeKeys, conversationIdFor, conversationKeys } from '../queues/conversation-keys';
import { JOB } from '../queues/queue-names';
import type { MessageSource, Recipient, SendReplyJob } from '../queues/jobs';
import { luaScript } from '../redis/lua-script';
import type { RedisClient } from '../redis/create-redis';
import type { EmitAgentEvent } from './agent-events';

/** The transcript keeps this many entries; the AI reads only the most recent turns of it. */
export const TRANSCRIPT_MAX_ENTRIES = 200;
/** How much of the transcript handoff.started carries. */
const HANDOFF_TRANSCRIPT_ENTRIES = 50;

/**
 * A person takes the conversation over. Ends any flow. Returns {fresh, epoch, since}; when an
 * agent already owns it, nothing changes and the current handoff is returned.
 * KEYS: state, history. ARGV: now, reason, by, ttl, historyMax, recipient JSON ('' = keep).
 */
const TAKEOVER = luaScript(`
if redis.call('HGET', KEYS[1], 'owner') == 'agent' then
  return {0, tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0'), tonumber(redis.call('HGET', KEYS[1], 'since') or '0')}
end
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HSET', KEYS[1], 'owner', 'agent', 'since', ARGV[1], 'reason', ARGV[2], 'by', ARGV[3], 'unanswered', 0)
redis.call('HDEL', KEYS[1], 'agent_at', 'agent_name', 'replied_at', 'flow')
if ARGV[6] ~= '' and redis.call('HEXISTS', KEYS[1], 'recipient') == 0 then redis.call('HSET', KEYS[1], 'recipient', ARGV[6]) end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('RPUSH', KEYS[2], cjson.encode({at = tonumber(ARGV[1]), who = 'note', kind = 'handoff_started', reason = ARGV[2]}))
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[5]), -1)
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {1, epoch, tonumber(ARGV[1])}
`);

/**
 * The bot gets the conversation back. With an idle cutoff, only if no agent activity came after it.
 * The transcript gets a neutral note of when a person handled it, for the AI's next answer. A repeated
 * release returns the last one (released = 0), so its event can be sent again safely.
 * KEYS: state, history. ARGV: now, by, reason, ttl, historyMax, idleCutoff (0 = none).
 * Returns {released, epoch, since, until, by, reason}.
 */
const RELEASE = luaScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= 'agent' then
  local last = redis.call('HGET', KEYS[1], 'released')
  if not last then return {0} end
  local r = cjson.decode(last)
  return {0, r.epoch, r.since, r['until'], r.by, r.reason}
end
local since = tonumber(redis.call('HGET', KEYS[1], 'since') or ARGV[1])
if ARGV[6] ~= '0' then
  local active = math.max(since, tonumber(redis.call('HGET', KEYS[1], 'agent_at') or '0'))
  if active > tonumber(ARGV[6]) then return {0} end
end
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HDEL', KEYS[1], 'owner', 'since', 'reason', 'by', 'agent_at', 'agent_name', 'replied_at', 'unanswered')
local now = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'released', cjson.encode({epoch = epoch, since = since, ['until'] = now, by = ARGV[2], reason = ARGV[3]}))
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('RPUSH', KEYS[2], cjson.encode({at = now, who = 'note', kind = 'handoff_ended', since = since, ['until'] = now, reason = ARGV[3]}))
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[5]), -1)
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {1, epoch, since, now, ARGV[2], ARGV[3]}
`);

/** An agent message was accepted: the agent is active, the customer answered. KEYS: state. ARGV: now, agentName, ttl. */
const AGENT_ACTIVE = luaScript(`
redis.call('HSET', KEYS[1], 'agent_at', ARGV[1], 'agent_name', ARGV[2], 'unanswered', 0)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`);

/** What conversationIdFor makes: u (external id), b (Braze id) or a (user alias), then 22 characters of digest. */
export const ConversationId = z.string().regex(/^[uba][A-Za-z0-9_-]{22}$/, 'must be a conversation id from the agent API or an event');

/** Which conversation a request means: its id (from a list or an event), or the Braze identity. */
export const AgentTarget = z.object({
  conversation_id: ConversationId.optional(),
  user_id: z.union([z.string(), z.number()]).transform((v) => String(v).trim()).pipe(z.string().min(1).max(512)).optional(),
  braze_id: z.string().trim().min(1).max(512).optional(),
}).refine((t) => t.conversation_id || t.user_id || t.braze_id, { message: 'needs conversation_id, user_id or braze_id', path: ['user_id'] });
export type AgentTarget = z.infer<typeof AgentTarget>;

export class UnknownConversationError extends AppError {
  constructor(what: string) {
    super('UNKNOWN_CONVERSATION', `No conversation ${what}: it never wrote, or its data expired`, { retryable: false, httpStatus: 404 });
  }
}

export interface Handoff {
  conversationId: string;
  epoch: number;
  since: number;
  /** false when an agent already had it */
  started: boolean;
}

export interface WaitingConversation {
  conversation_id: string;
  user_id?: string;
  braze_id?: string;
  profile_name?: string;
  reason?: string;
  since: string;
  waiting_seconds: number;
  unanswered: number;
  agent_name?: string;
  /** a note says which (handoff_started...); a bot reply that was never sent says draft */
  last_message?: { at: string; who: TranscriptEntry['who']; text?: string; kind?: string; draft?: true };
}

export interface DeskDeps {
  redis: RedisClient;
  prefix: string;
  ttlSeconds: number;
  sendQueue: Queue;
  emit: EmitAgentEvent;
  clock?: () => number;
}

/** Identity fields for events and lists; never the phone unless asked. */
export function identityOf(state: Pick<ConversationState, 'recipient' | 'brazeId'>): { user_id?: string; braze_id?: string } {
  const r = state.recipient;
  const brazeId = state.brazeId ?? (r && 'braze_id' in r ? r.braze_id : undefined);
  return { ...(r && 'external_user_id' in r ? { user_id: r.external_user_id } : {}), ...(brazeId ? { braze_id: brazeId } : {}) };
}

/**
 * The live-agent operations, in one place for the ingest's agent API, the dashboard's console and
 * the worker: hand off, release, send an agent message, list and read conversations.
 */
export function createAgentDesk({ redis, prefix, ttlSeconds, sendQueue, emit, clock = Date.now }: DeskDeps) {
  const global = bridgeKeys(prefix);
  const keysOf = (id: string) => conversationKeys(prefix, id);

  async function loadState(conversationId: string): Promise<ConversationState> {
    return readState(await redis.hgetall(keysOf(conversationId).state));
  }

  async function transcript(conversationId: string, limit = TRANSCRIPT_MAX_ENTRIES): Promise<TranscriptEntry[]> {
    const lines = await redis.lrange(keysOf(conversationId).history, -limit, -1);
    return lines.map(readEntry).filter((e): e is TranscriptEntry => e !== undefined);
  }

  /** The conversation and whom to send to; a conversation that never wrote can be reached by a Braze identity. */
  async function resolve(target: AgentTarget): Promise<{ conversationId: string; recipient: Recipient; state: ConversationState }> {
    if (target.conversation_id) {
      const state = await loadState(target.conversation_id);
      if (!state.recipient) throw new UnknownConversationError(target.conversation_id);
      return { conversationId: target.conversation_id, recipient: state.recipient, state };
    }
    let recipient: Recipient = target.user_id ? { external_user_id: target.user_id } : { braze_id: target.braze_id! };
    let conversationId = conversationIdFor(recipient);
    if (!target.user_id) {
      // a user who wrote with an external id is that conversation, whichever id the agent has
      const known = await redis.get(global.brazeIdIndex(target.braze_id!));
      if (known) conversationId = known;
    }
    const state = await loadState(conversationId);
    recipient = state.recipient ?? recipient;
    return { conversationId, recipient, state };
  }

  async function handoff(target: AgentTarget, o: { reason: string; by: string; notify?: string; correlationId?: string }): Promise<Handoff> {
    const { conversationId, recipient } = await resolve(target);
    const k = keysOf(conversationId);
    const now = clock();
    const [fresh, epoch, since] = (await TAKEOVER(redis, [k.state, k.history], [now, o.reason, o.by, ttlSeconds, TRANSCRIPT_MAX_ENTRIES, JSON.stringify(recipient)])) as [number, number, number];
    await redis.zadd(global.agentsWaiting, 'NX', since, conversationId);
    const state = await loadState(conversationId);
    await emit(conversationId, 'handoff.started', `hs${epoch}`, {
      ...identityOf(state),
      phone: state.contact?.phone,
      profile_name: state.contact?.name,
      reason: state.reason ?? o.reason,
      by: o.by,
      since: new Date(since).toISOString(),
      transcript: (await transcript(conversationId, HANDOFF_TRANSCRIPT_ENTRIES)).map(toEventEntry),
    });
    if (o.notify && fresh === 1) {
      await enqueueAgentLane(conversationId, recipient, { kind: 'handoff', text: o.notify, dedupeKey: `handoff:${epoch}`, correlationId: o.correlationId ?? randomUUID() });
    }
    return { conversationId, epoch, since, started: fresh === 1 };
  }

  async function release(target: AgentTarget, o: { by: string; reason: string; idleCutoff?: number }): Promise<{ conversationId: string; released: boolean }> {
    const { conversationId } = await resolve(target);
    const k = keysOf(conversationId);
    const result = (await RELEASE(redis, [k.state, k.history], [clock(), o.by, o.reason, ttlSeconds, TRANSCRIPT_MAX_ENTRIES, o.idleCutoff ?? 0])) as [number, number?, number?, number?, string?, string?];
    const [released, epoch, since, until, by, reason] = result;
    if (epoch === undefined) return { conversationId, released: false };
    await redis.zrem(global.agentsWaiting, conversationId);
    const state = await loadState(conversationId);
    await emit(conversationId, 'handoff.ended', `he${epoch}`, {
      ...identityOf(state), by, reason, since: new Date(since!).toISOString(), until: new Date(until!).toISOString(),
    });
    return { conversationId, released: released === 1 };
  }

  async function enqueueAgentLane(conversationId: string, recipient: Recipient, o: { kind: 'agent' | 'handoff'; text: string; agentName?: string; source?: MessageSource; dedupeKey: string; correlationId: string }) {
    const place = await claimPlace(redis, {
      prefix, conversationId, lane: 'agent', jobId: randomUUID(), now: clock(), ttlSeconds,
      dedupe: { key: o.dedupeKey, ttlSeconds: Math.min(48 * 3600, ttlSeconds) },
    });
    if (place.earlier === 'stored') return { id: place.jobId, duplicate: true };
    const job: SendReplyJob = {
      v: 1, correlationId: o.correlationId, conversation: { id: conversationId, seq: place.seq, lane: 'agent' }, recipient,
      kind: o.kind, parts: [{ text: o.text }], turnId: place.jobId, ...(o.agentName ? { agentName: o.agentName } : {}), ...(o.source ? { source: o.source } : {}),
    };
    await sendQueue.add(JOB.send, job, { jobId: place.jobId });
    await markPlaceStored(redis, prefix, conversationId, o.dedupeKey, place);
    return { id: place.jobId, duplicate: false };
  }

  /**
   * An agent's reply, sent through Braze in order with every guarantee of a bot reply. A conversation
   * the bot owns is taken over first. `messageId` makes it idempotent (a Chatwoot message id, say);
   * `source` comes back in its message.sent or message.failed event.
   */
  async function sendMessage(target: AgentTarget, o: { text: string; agentName: string; messageId?: string; source?: MessageSource; correlationId?: string }) {
    const { conversationId, recipient } = await resolve(target);
    await handoff(target, { reason: 'agent_took_over', by: o.agentName });
    const now = clock();
    const result = await enqueueAgentLane(conversationId, recipient, {
      kind: 'agent', text: o.text, agentName: o.agentName, source: o.source, dedupeKey: `agent:${o.messageId ?? randomUUID()}`, correlationId: o.correlationId ?? randomUUID(),
    });
    if (!result.duplicate) {
      await AGENT_ACTIVE(redis, [keysOf(conversationId).state], [now, o.agentName, ttlSeconds]);
      await redis.zadd(global.agentsWaiting, 'XX', now, conversationId);
      await redis.publish(global.agentsFeed, conversationId).catch(() => undefined);
    }
    return { conversationId, id: result.id, status: result.duplicate ? ('duplicate' as const) : ('queued' as const) };
  }

  /** Conversations a person owns, oldest handoff first. Entries whose handoff ended are dropped from the index. */
  async function list(): Promise<WaitingConversation[]> {
    const ids = await redis.zrange(global.agentsWaiting, 0, -1);
    const now = clock();
    const rows = await Promise.all(ids.map(async (id) => {
      const [hash, last] = await Promise.all([redis.hgetall(keysOf(id).state), redis.lrange(keysOf(id).history, -1, -1)]);
      const state = readState(hash);
      if (state.owner !== 'agent') {
        await redis.zrem(global.agentsWaiting, id);
        return undefined;
      }
      const entry = last[0] ? readEntry(last[0]) : undefined;
      const since = state.since ?? now;
      const row: WaitingConversation = {
        conversation_id: id, ...identityOf(state), profile_name: state.contact?.name, reason: state.reason,
        since: new Date(since).toISOString(), waiting_seconds: Math.max(0, Math.round((now - since) / 1000)),
        unanswered: state.unanswered, agent_name: state.agentName,
        last_message: entry ? {
          at: new Date(entry.at).toISOString(), who: entry.who, text: entry.text,
          ...(entry.who === 'note' && entry.kind ? { kind: entry.kind } : {}), ...(entry.draft ? { draft: true as const } : {}),
        } : undefined,
      };
      return row;
    }));
    return rows.filter((r): r is WaitingConversation => r !== undefined).sort((a, b) => a.since.localeCompare(b.since));
  }

  return { resolve, loadState, transcript, handoff, release, sendMessage, list };
}
export type AgentDesk = ReturnType<typeof createAgentDesk>;

/** A transcript entry as events and the agent API show it. */
export function toEventEntry(e: TranscriptEntry) {
  return {
    at: new Date(e.at).toISOString(),
    from: e.who,
    ...(e.text !== undefined ? { text: e.text } : {}),
    ...(e.kind ? { kind: e.kind } : {}),
    ...(e.agent ? { agent_name: e.agent } : {}),
    ...(e.draft ? { draft: true } : {}),
    ...(e.transcribed ? { transcribed: true } : {}),
    ...(e.media ? { media: e.media } : {}),
    ...(e.mediaUrls?.length ? { media_urls: e.mediaUrls } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e.since ? { since: new Date(e.since).toISOString() } : {}),
    ...(e.until ? { until: new Date(e.until).toISOString() } : {}),
    ...(e.suggested ? { suggested_reply: e.suggested } : {}),
  };
}

/** Text from an agent: trimmed, non-empty, within WhatsApp's limit. */
export const AgentMessageText = z.string({ message: 'must be a string' }).trim().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters (WhatsApp\'s limit)');

export function badTarget(issues: z.core.$ZodIssue[]): ValidationError {
  const details = issues.map((i) => ({ field: i.path.join('.') || 'body', problem: i.message }));
  return new ValidationError('INVALID_PAYLOAD', `Invalid request: ${details.map((d) => `${d.field} ${d.problem}`).join('; ')}`, details);
}

export const DEFAULT_HANDOFF_TEXT = 'A person will answer you here shortly.';
/** Configuration every service that can start a handoff shares. */
export const AgentDeskEnv = {
  AGENT_HANDOFF_TEXT: z.string().min(1).max(4096).default(DEFAULT_HANDOFF_TEXT)
    .describe('What the customer is told once when a person takes the conversation over (a route may set its own). Write it in your customers\' language.'),
};
