import type { Job, Queue } from 'bullmq';
import {
  AppError, GenerateReplyJob, JOB, ProfileSyncJob, bridgeKeys, identityOf, profileJobIdFor, sendJobIdFor,
  type AgentDesk, type ConversationState, type EmitAgentEvent, type Logger, type ProfileUpdate, type RedisClient,
  type SendReplyJob, type TranscriptEntry,
} from '@bridge/shared';
import type { AiReplier, AiReply } from '../ai/ai-reply';
import type { ConversationOrder } from '../domain/conversation-order';
import type { WorkerMetrics } from '../metrics';
import { parseJobData, type FinalFailureHandler } from '../processors/job-edge';
import { bridgeState, decide, type Decision, type DecideSettings } from './decide';
import type { StatePatch, TurnOutcome, TurnStore, Loaded } from './turn-store';

export interface TurnDeps {
  settings: DecideSettings;
  store: TurnStore;
  order: ConversationOrder;
  replier: AiReplier;
  desk: AgentDesk;
  emit: EmitAgentEvent;
  sendQueue: Queue;
  /** set when BRAZE_SYNC_PROFILE=true */
  profileQueue?: Queue;
  redis: RedisClient;
  prefix: string;
  ttlSeconds: number;
  /** people answer handed-off conversations: a permanent AI failure hands off instead of sending the fallback */
  liveAgents: boolean;
  agentAssist: boolean;
  fallbackMessage: string | undefined;
  metrics: WorkerMetrics;
  log: Logger;
  clock: () => number;
}

type Data = GenerateReplyJob;
type LoadedState = Exclude<Loaded, { outcome: object }>;

const iso = (ms: number) => new Date(ms).toISOString();
/** Braze limits event property strings to 255 characters. */
const short = (vars: Record<string, string>) => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.slice(0, 255)]));

/**
 * reply-generate: one inbound message, one turn of its conversation. Waits for the turn, decides
 * (decide() is pure), pays for the AI when the decision asks for it, commits the decision with
 * the state it changes, then carries it out through the queues: the reply's parts, the handoff,
 * the agents' events, the profile update. A re-run carries out the committed decision again,
 * which is harmless: every job and event has a fixed id.
 */
export function createTurnProcessor(deps: TurnDeps) {
  const { settings, store, log } = deps;

  const identity = (data: Data) => identityOf({ recipient: data.recipient, brazeId: data.brazeId });

  function customerEntry(data: Data, suggested?: string): TranscriptEntry {
    return { at: data.receivedAt, who: 'customer', text: data.text, ...(data.mediaCount ? { media: data.mediaCount } : {}), ...(suggested ? { suggested } : {}) };
  }

  function profileOf(data: Data, d: Pick<Decision, 'route' | 'attributes' | 'completedFlows' | 'flow'>, state: ConversationState, owner: 'bot' | 'agent', vars: Record<string, string>): ProfileUpdate | undefined {
    if (!deps.profileQueue) return undefined;
    const flow = d.flow === undefined ? state.flow : d.flow;
    return {
      attributes: {
        bridge_last_inbound_at: iso(data.receivedAt),
        bridge_state: bridgeState(owner, flow),
        bridge_turns: { inc: 1 },
        ...(d.route ?? state.route ? { bridge_last_route: d.route ?? state.route } : {}),
        ...d.attributes,
      },
      events: d.completedFlows.map((name) => ({ name: 'bridge_flow_completed', time: iso(deps.clock()), properties: { ...short(vars), flow: name } })),
    };
  }

  function patchOf(data: Data, loaded: LoadedState, d: Pick<Decision, 'route' | 'flow' | 'vars'>, toAgents: boolean): StatePatch {
    const patch: StatePatch = { set: { recipient: JSON.stringify(data.recipient) }, del: [], incr: {} };
    if (data.brazeId) patch.set.braze_id = data.brazeId;
    if (data.contact && (data.contact.phone || data.contact.name)) patch.set.contact = JSON.stringify(data.contact);
    if (d.route) patch.set.route = d.route;
    if (d.flow === null) patch.del.push('flow');
    else if (d.flow) patch.set.flow = JSON.stringify(d.flow);
    if (d.vars && JSON.stringify(d.vars) !== JSON.stringify(loaded.state.vars)) patch.set.vars = JSON.stringify(d.vars);
    if (toAgents) patch.incr.unanswered = 1;
    return patch;
  }

  /** Decides, pays for the AI once, commits. If a person took over during the AI call, decides again: the AI's reply is then a draft for them. */
  async function decideAndCommit(job: Job, data: Data, first: LoadedState): Promise<TurnOutcome> {
    let loaded = first;
    let ai: AiReply | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = deps.clock();
      const d = decide(settings, { text: data.text, receivedAt: data.receivedAt, route: data.route, state: loaded.state, now });
      const outcome: TurnOutcome = { parts: [], epoch: loaded.state.epoch, ...(d.route ? { route: d.route } : {}), ...(d.silent ? { silent: d.silent } : {}) };
      let usedAi = false;
      let suggested: string | undefined;
      for (const e of d.effects) {
        if (e.type === 'send') outcome.parts.push({ ...e.part, kind: e.kind });
        else if (e.type === 'ai') {
          ai ??= await deps.replier.reply({ text: data.text, mediaCount: data.mediaCount, transcript: loaded.transcript, vars: d.vars ?? loaded.state.vars, systemPrompt: e.systemPrompt, model: e.model, campaignId: e.campaignId });
          usedAi = true;
          outcome.parts.push(...ai.parts);
          if (ai.unusable) outcome.aiUnusable = ai.unusable;
        } else if (e.type === 'handoff') {
          outcome.parts.push({ text: e.text, kind: 'handoff' });
          outcome.handoff = { reason: e.reason, by: 'bot' };
        } else if (e.type === 'to_agents') {
          if (deps.agentAssist && !e.optOut) {
            suggested = await deps.replier.suggest({ text: data.text, mediaCount: data.mediaCount, transcript: loaded.transcript, vars: loaded.state.vars }).catch((err: Error) => {
              log.warn('agent assist failed; the message goes to the agents without a suggestion', { error: err.message });
              return undefined;
            });
          }
          outcome.toAgents = { optOut: e.optOut, ...(suggested ? { suggestedReply: suggested } : {}) };
        } else {
          outcome.failure = { code: e.code, message: e.message };
        }
      }
      const owner = outcome.handoff || outcome.toAgents ? 'agent' : 'bot';
      const profile = profileOf(data, d, loaded.state, owner, d.vars ?? loaded.state.vars);
      if (profile) outcome.profile = profile;
      const entries: TranscriptEntry[] = [];
      if (ai && !usedAi) {
        // decided before a person took over: they see it, the customer does not
        log.info('AI reply dropped: a person took the conversation over during the AI call', { conversationId: data.conversation.id, jobId: job.id });
        entries.push(...ai.parts.map((p) => ({ at: now, who: 'bot' as const, text: p.text, kind: p.kind, draft: true })));
      }
      entries.unshift(customerEntry(data, suggested));
      const result = await store.commit(data.conversation.id, job.id!, loaded.state.epoch, outcome, patchOf(data, loaded, d, Boolean(outcome.toAgents)), entries);
      if (result.status === 'earlier') return result.outcome;
      if (result.status === 'committed') {
        if (data.brazeId && !loaded.hasBrazeId && 'external_user_id' in data.recipient) {
          await deps.redis.set(bridgeKeys(deps.prefix).brazeIdIndex(data.brazeId), data.conversation.id, 'EX', deps.ttlSeconds);
        }
        return outcome;
      }
      const again = await store.load(data.conversation.id, job.id!);
      if (again.outcome) return again.outcome;
      loaded = again;
    }
    throw new AppError('OWNER_CHANGING', 'the conversation changed owner three times during this turn; retrying', { retryable: true });
  }

  /** Carries out a committed outcome; safe to run again. */
  async function carryOut(job: Job, data: Data, outcome: TurnOutcome) {
    const conversationId = data.conversation.id;
    let epoch = outcome.epoch;
    if (outcome.handoff) {
      epoch = (await deps.desk.handoff({ conversation_id: conversationId }, { reason: outcome.handoff.reason, by: outcome.handoff.by, correlationId: data.correlationId })).epoch;
    }
    if (outcome.toAgents) {
      await deps.emit(conversationId, 'message.received', `mr-${job.id}`, {
        ...identity(data),
        message: { text: data.text, at: iso(data.receivedAt), ...(data.mediaUrls?.length ? { media_urls: data.mediaUrls } : {}), ...(outcome.toAgents.optOut ? { opt_out: true } : {}) },
        ...(outcome.toAgents.suggestedReply ? { suggested_reply: outcome.toAgents.suggestedReply } : {}),
      });
    }
    if (outcome.failure) {
      if (outcome.failure.code === 'OUTSIDE_WHATSAPP_WINDOW') deps.metrics.windowClosed.inc({ kind: 'bot' });
      throw new AppError(outcome.failure.code, outcome.failure.message, { retryable: false });
    }
    if (outcome.parts.length) {
      const send: SendReplyJob = {
        v: 1, correlationId: data.correlationId, conversation: data.conversation, recipient: data.recipient,
        kind: outcome.parts[0]!.kind, parts: outcome.parts, turnId: job.id!, epoch, receivedAt: data.receivedAt,
        ...(outcome.profile ? { profile: outcome.profile } : {}),
      };
      await deps.sendQueue.add(JOB.send, send, { jobId: sendJobIdFor(job.id!) });
    } else {
      if (outcome.profile) await enqueueProfile(data, job.id!, outcome.profile);
      await deps.order.advance(data.conversation);
    }
    return {
      // `silent` is what an opt-out word gets: tools such as the demo read it
      route: outcome.silent === 'opt_out' ? 'silent' : outcome.route ?? (outcome.toAgents ? 'agent' : 'ai'),
      ...(outcome.silent ? { silent: outcome.silent } : {}),
      ...(outcome.toAgents ? { toAgents: true } : {}),
      ...(outcome.handoff ? { handoff: outcome.handoff.reason } : {}),
      ...(outcome.aiUnusable ? { aiUnusable: outcome.aiUnusable } : {}),
      parts: outcome.parts.length,
    };
  }

  function enqueueProfile(data: Data, turnId: string, profile: ProfileUpdate) {
    const job: ProfileSyncJob = { v: 1, recipient: data.recipient, profile };
    return deps.profileQueue!.add(JOB.profile, job, { jobId: profileJobIdFor(turnId) });
  }

  const process = async (job: Job, token?: string) => {
    const data = parseJobData(GenerateReplyJob, job.data);
    await deps.order.waitForTurn(job, token, data.conversation);
    const loaded = await store.load(data.conversation.id, job.id!);
    const outcome = loaded.outcome ?? await decideAndCommit(job, data, loaded);
    return carryOut(job, data, outcome);
  };

  /**
   * The turn failed for good (the AI kept failing, or refused the request). With live agents a person
   * takes over; else the fallback goes out if there is one; either way the turn passes on. A window
   * that closed ends the turn without a message: none could be delivered.
   */
  const onFinalFailure: FinalFailureHandler = async (job, err) => {
    const parsed = GenerateReplyJob.safeParse(job.data);
    if (!parsed.success) return;
    const data = parsed.data;
    const loaded = await store.load(data.conversation.id, job.id!);
    if (loaded.outcome || err.code === 'OUTSIDE_WHATSAPP_WINDOW' || loaded.state.owner === 'agent') {
      await deps.order.advance(data.conversation);
      return;
    }
    const outcome: TurnOutcome = deps.liveAgents
      ? { parts: [{ text: settings.handoffText, kind: 'handoff' }], epoch: loaded.state.epoch, handoff: { reason: 'ai_failed', by: 'bot' } }
      : { parts: deps.fallbackMessage ? [{ text: deps.fallbackMessage, kind: 'fallback' }] : [], epoch: loaded.state.epoch };
    const committed = await store.commit(data.conversation.id, job.id!, loaded.state.epoch, outcome, patchOf(data, loaded, {}, false), [customerEntry(data)]);
    if (committed.status === 'owner_changed') {
      await deps.order.advance(data.conversation);
      return;
    }
    await carryOut(job, data, committed.status === 'earlier' ? committed.outcome : outcome);
  };

  return { process, onFinalFailure };
}
