import type { Job, Queue } from 'bullmq';
import {
  AppError, JOB, SendReplyJob, TRANSCRIPT_MAX_ENTRIES, bridgeKeys, conversationKeys, isBotKind, laneOf, luaScript, profileJobIdFor,
  type EmitAgentEvent, type Logger, type ProfileSyncJob, type ProfileUpdate, type RedisClient, type ReplyKind, type TranscriptEntry,
  appendTranscriptLua,
} from '@bridge/shared';
import type { BrazeClient, ReplyItem } from '../clients/braze.client';
import type { Batcher } from '../domain/batcher';
import type { ConversationOrder } from '../domain/conversation-order';
import type { WorkerMetrics } from '../metrics';
import { parseJobData, type FinalFailureHandler } from './job-edge';

export interface SendDeps {
  batcher: Batcher<ReplyItem, Awaited<ReturnType<BrazeClient['send']>>>;
  order: ConversationOrder;
  redis: RedisClient;
  prefix: string;
  ttlSeconds: number;
  campaigns: { default: string; agent?: string; template?: string };
  /** how long after the last inbound message a reply may go out: 24 h minus WHATSAPP_WINDOW_MARGIN_MINUTES */
  windowMs: number;
  emit: EmitAgentEvent;
  profileQueue?: Queue;
  metrics: WorkerMetrics;
  log: Logger;
  clock: () => number;
}

/** Covers re-runs after a crash and retries from the dashboard within a day; memory stays flat after that. */
const SENT_RECORD_TTL_SECONDS = 86_400;

/** Right before a send: how far the job got, and who owns the conversation now. KEYS: sent, state. */
const CHECK = luaScript(`
return {redis.call('GET', KEYS[1]) or '', redis.call('HMGET', KEYS[2], 'epoch', 'last_in', 'since', 'replied_at')}
`);

/** A part of a longer reply went out: record it and its transcript entry. KEYS: sent, history, state. ARGV: value, ttl, entry, historyMax, stateTtl, firstReplyAt. */
const RECORD_PART = luaScript(`
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
${appendTranscriptLua('KEYS[2]', '{ARGV[3]}', 'ARGV[4]', 'ARGV[5]')}
if ARGV[6] ~= '' then
  redis.call('HSETNX', KEYS[3], 'replied_at', ARGV[6])
  redis.call('EXPIRE', KEYS[3], ARGV[5])
end
return 1
`);

/** Parts already sent, from a record "<parts>|<dispatch id>"; a record from before parts existed means all of them. */
function partsSent(record: string, total: number): number {
  if (record === '') return 0;
  const n = Number.parseInt(record, 10);
  return Number.isNaN(n) ? total : n;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * reply-send: the parts of one reply, in order, each handed to the batcher (replies ready together
 * share one Braze request per campaign). Before each part: a bot reply decided before a person took
 * over is not sent (the person sees it as a draft), and a part past WhatsApp's 24-hour window goes
 * through the approved template campaign or fails OUTSIDE_WHATSAPP_WINDOW. Each part Braze accepted is
 * recorded with its transcript entry, so a re-run never sends it twice; the last one passes the
 * lane's turn in the same step. Agent replies wait for their own lane's turn here.
 */
export function createSendReplyProcessor(deps: SendDeps) {
  const { log, metrics } = deps;
  const sentTtl = Math.min(SENT_RECORD_TTL_SECONDS, deps.ttlSeconds);
  /**
   * The agent console shows a handed-off conversation live. Agent replies tell it through their
   * events; the other entries written here (the handoff text, drafts, failures) tell it this way.
   */
  const tellConsole = (conversationId: string) => deps.redis.publish(bridgeKeys(deps.prefix).agentsFeed, conversationId).catch(() => undefined);

  function campaignFor(kind: ReplyKind, campaignId: string | undefined) {
    return campaignId ?? ((kind === 'agent' || kind === 'handoff') && deps.campaigns.agent ? deps.campaigns.agent : deps.campaigns.default);
  }

  async function enqueueProfile(data: SendReplyJob, jobId: string, kind: ReplyKind, now: number) {
    if (!deps.profileQueue) return;
    const base: ProfileUpdate = data.profile ?? { attributes: {}, events: [] };
    const profile: ProfileUpdate = {
      attributes: { ...base.attributes, bridge_last_reply_at: iso(now), ...(kind === 'agent' ? { bridge_state: 'agent' } : {}) },
      events: [...base.events, { name: 'bridge_reply_sent', time: iso(now), properties: { kind } }],
    };
    const job: ProfileSyncJob = { v: 1, recipient: data.recipient, profile };
    await deps.profileQueue.add(JOB.profile, job, { jobId: profileJobIdFor(data.conversation.lane === 'agent' ? jobId : data.turnId) });
  }

  const process = async (job: Job, token?: string) => {
    const data = parseJobData(SendReplyJob, job.data);
    if (laneOf(data.conversation) !== 'in') await deps.order.waitForTurn(job, token, data.conversation);
    const k = conversationKeys(deps.prefix, data.conversation.id);
    const sentKey = k.sent(data.turnId);
    const [record, [epochRaw, lastInRaw, sinceRaw, repliedAt]] = (await CHECK(deps.redis, [sentKey, k.state], [])) as [string, Array<string | null>];
    const total = data.parts.length;
    const done = partsSent(record, total);
    if (done >= total) {
      await deps.order.advance(data.conversation);
      return { sent: false, alreadySent: true };
    }
    const epoch = Number(epochRaw ?? 0);
    let dispatchId: string | undefined;
    let firstReplyPending = !repliedAt && sinceRaw !== null;
    for (let i = done; i < total; i++) {
      const part = data.parts[i]!;
      const kind = part.kind ?? data.kind;
      const now = deps.clock();
      if (isBotKind(kind) && data.epoch !== undefined && data.epoch !== epoch) {
        const drafts: TranscriptEntry[] = data.parts.slice(i).filter((p) => isBotKind(p.kind ?? data.kind)).map((p) => ({ at: now, who: 'bot', text: p.text, kind: p.kind ?? data.kind, draft: true }));
        log.info('bot reply not sent: a person took the conversation over since it was decided', { conversationId: data.conversation.id, jobId: job.id, parts: total - i });
        metrics.botRepliesDropped.inc();
        await deps.order.advance(data.conversation, { key: sentKey, value: `${total}|dropped`, ttlSeconds: sentTtl, entries: drafts });
        await tellConsole(data.conversation.id);
        return { sent: i > done, droppedForAgent: total - i };
      }
      const lastInbound = Math.max(Number(lastInRaw ?? 0), data.receivedAt ?? 0);
      let campaignId = campaignFor(kind, part.campaignId);
      if (now >= lastInbound + deps.windowMs) {
        if (!deps.campaigns.template) {
          throw new AppError('OUTSIDE_WHATSAPP_WINDOW', `last inbound ${lastInbound ? iso(lastInbound) : 'none on record'}`, { retryable: false });
        }
        campaignId = deps.campaigns.template;
        metrics.templateReplies.inc({ kind });
      }
      const result = await deps.batcher.submit({ recipient: data.recipient, reply: part.text, campaignId, ...(part.properties ? { properties: part.properties } : {}) });
      dispatchId = result.dispatchId ?? dispatchId;
      const entry: TranscriptEntry = { at: now, who: kind === 'agent' ? 'agent' : 'bot', text: part.text, kind, ...(data.agentName ? { agent: data.agentName } : {}) };
      const firstReplyAt = kind === 'agent' && firstReplyPending ? String(now) : '';
      if (firstReplyAt) {
        metrics.firstAgentReplySeconds.observe(Math.max(0, (now - Number(sinceRaw)) / 1000));
        firstReplyPending = false;
      }
      const value = `${i + 1}|${dispatchId ?? ''}`;
      if (i < total - 1) {
        await RECORD_PART(deps.redis, [sentKey, k.history, k.state], [value, sentTtl, JSON.stringify(entry), TRANSCRIPT_MAX_ENTRIES, deps.ttlSeconds, firstReplyAt]);
      } else {
        if (firstReplyAt) await deps.redis.multi().hsetnx(k.state, 'replied_at', firstReplyAt).expire(k.state, deps.ttlSeconds).exec();
        await deps.order.advance(data.conversation, { key: sentKey, value, ttlSeconds: sentTtl, entries: [entry] });
      }
      if (kind === 'agent') {
        await deps.emit(data.conversation.id, 'message.sent', `ms-${job.id}-${i}`, {
          message: { text: part.text, ...(data.agentName ? { agent_name: data.agentName } : {}), at: iso(now) }, message_id: job.id, dispatch_id: result.dispatchId,
          ...(data.source ? { source: data.source } : {}),
        });
      }
      if (i === total - 1) {
        if (data.kind !== 'agent' && sinceRaw !== null) await tellConsole(data.conversation.id);
        await enqueueProfile(data, job.id!, kind, now);
      }
    }
    return { sent: true, kind: data.kind, parts: total, dispatchId };
  };

  /** A reply that cannot go out: the turn passes on; for an agent's reply, the agents hear why. */
  const onFinalFailure: FinalFailureHandler = async (job, err) => {
    const parsed = SendReplyJob.safeParse(job.data);
    if (!parsed.success) return;
    const data = parsed.data;
    const now = deps.clock();
    if (err.code === 'OUTSIDE_WHATSAPP_WINDOW') metrics.windowClosed.inc({ kind: data.kind === 'agent' ? 'agent' : 'bot' });
    const k = conversationKeys(deps.prefix, data.conversation.id);
    const record = (await deps.redis.get(k.sent(data.turnId))) ?? '';
    const note: TranscriptEntry = { at: now, who: 'note', kind: 'delivery_failed', reason: `${err.code}: ${err.message}`, ...(data.agentName ? { agent: data.agentName } : {}) };
    await deps.order.advance(data.conversation, { key: k.sent(data.turnId), value: `${partsSent(record, data.parts.length)}|failed`, ttlSeconds: sentTtl, entries: [note] });
    if (data.kind === 'agent') {
      await deps.emit(data.conversation.id, 'message.failed', `mf-${job.id}`, {
        message: { text: data.parts.map((p) => p.text).join('\n'), ...(data.agentName ? { agent_name: data.agentName } : {}) }, message_id: job.id, reason: err.code, detail: err.message,
        ...(data.source ? { source: data.source } : {}),
      });
    } else {
      await tellConsole(data.conversation.id);
    }
  };

  return { process, onFinalFailure };
}
