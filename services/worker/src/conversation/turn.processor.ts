import type { Job, Queue } from 'bullmq';
import {
  AppError, GenerateReplyJob, JOB, ProfileSyncJob, bridgeKeys, identityOf, profileJobIdFor, sendJobIdFor,
  type AgentDesk, type AiToolName, type ConversationState, type EmitAgentEvent, type Logger, type ProfileUpdate, type RedisClient,
  type SendReplyJob, type TranscriptEntry,
} from '@bridge/shared';
import type { AiReplier, AiReply } from '../ai/ai-reply';
import type { MessageInput, MessageInputPreparer } from '../ai/message-input';
import type { UserMessage } from '../domain/build-messages';
import type { ConversationOrder } from '../domain/conversation-order';
import type { WorkerMetrics } from '../metrics';
import { parseJobData, type FinalFailureHandler } from '../processors/job-edge';
import type { Coalescer } from './coalesce';
import { afterAiTools, aiOnly, bridgeState, decide, type Decision, type DecideSettings, type Effect } from './decide';
import { workFields, type StatePatch, type TurnOutcome, type TurnStore, type Loaded } from './turn-store';

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
  /** set when AI_TRANSCRIBE or AI_VISION is on: looks at the messages' media first */
  input?: MessageInputPreparer;
  /** set when COALESCE_WINDOW_MS > 0 */
  coalescer?: Coalescer;
  /** set when AI_TOOLS=true: the tools an AI effect offers (a route's list, or every configured tool) */
  offerTools?: (routeTools: AiToolName[] | undefined) => AiToolName[];
  metrics: WorkerMetrics;
  log: Logger;
  clock: () => number;
}

type Data = GenerateReplyJob;
type LoadedState = Exclude<Loaded, { outcome: object }>;

/** One customer message of the turn (several when the turn answers a burst). */
interface Message {
  jobId: string;
  data: Data;
  input: MessageInput;
}

/** How a message would be answered on its own, for bursts: only messages the AI alone answers join one. */
type Kind = { ai: string } | 'opt_out' | 'handoff' | 'other';

const iso = (ms: number) => new Date(ms).toISOString();
/** Braze limits event property strings to 255 characters. */
const short = (vars: Record<string, string>) => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.slice(0, 255)]));
const asIs = (data: Data): MessageInput => ({ text: data.text, transcribed: false, images: [] });

/**
 * reply-generate: one inbound message, one turn of its conversation. Waits for the turn, looks at
 * the message's media (voice notes become text), gathers a burst (COALESCE_WINDOW_MS), decides
 * (decide() is pure), pays for the AI when the decision asks for it (with its tool loop), commits
 * the decision with the state it changes, then carries it out through the queues: the reply's
 * parts, the handoff, the agents' events, the profile update. A re-run carries out the committed
 * decision again, which is harmless: every job and event has a fixed id.
 */
export function createTurnProcessor(deps: TurnDeps) {
  const { settings, store, log } = deps;

  const identity = (data: Data) => identityOf({ recipient: data.recipient, brazeId: data.brazeId });

  function customerEntry(m: Pick<Message, 'data' | 'input'>, suggested?: string): TranscriptEntry {
    const { data, input } = m;
    return {
      at: data.receivedAt, who: 'customer', text: input.text,
      ...(input.transcribed ? { transcribed: true } : {}),
      ...(data.mediaCount ? { media: data.mediaCount } : {}),
      ...(data.mediaUrls?.length ? { mediaUrls: data.mediaUrls } : {}),
      ...(data.limited ? { limited: true } : {}),
      ...(suggested ? { suggested } : {}),
    };
  }

  const userMessage = (m: Message): UserMessage => ({ text: m.input.text, mediaCount: m.data.mediaCount, transcribed: m.input.transcribed, notes: m.input.notes, images: m.input.images });

  function profileOf(data: Data, d: Pick<Decision, 'route' | 'attributes' | 'completedFlows' | 'flow'>, state: ConversationState, owner: 'bot' | 'agent', vars: Record<string, string>, events: ProfileUpdate['events']): ProfileUpdate | undefined {
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
      events: [
        ...d.completedFlows.map((name) => ({ name: 'bridge_flow_completed', time: iso(deps.clock()), properties: { ...short(vars), flow: name } })),
        ...events,
      ],
    };
  }

  function patchOf(data: Data, loaded: LoadedState, d: Pick<Decision, 'route' | 'flow' | 'vars' | 'limitTold'>, toAgents: boolean): StatePatch {
    const patch: StatePatch = { set: { recipient: JSON.stringify(data.recipient) }, del: [], incr: {} };
    if (data.brazeId) patch.set.braze_id = data.brazeId;
    if (data.contact && (data.contact.phone || data.contact.name)) patch.set.contact = JSON.stringify(data.contact);
    if (d.route) patch.set.route = d.route;
    if (d.flow === null) patch.del.push('flow');
    else if (d.flow) patch.set.flow = JSON.stringify(d.flow);
    if (d.vars && JSON.stringify(d.vars) !== JSON.stringify(loaded.state.vars)) patch.set.vars = JSON.stringify(d.vars);
    if (toAgents) patch.incr.unanswered = 1;
    if (d.limitTold !== undefined) patch.set.limit_told = String(d.limitTold);
    return patch;
  }

  /** The message with its media looked at; new transcripts are recorded under the turn's job first. */
  async function messageOf(turnJobId: string, jobId: string, data: Data, loaded: LoadedState): Promise<Message> {
    // a message over the sender limit is never shown to the AI, not even to transcribe it
    if (data.limited || !deps.input?.applies(data.mediaUrls)) return { jobId, data, input: asIs(data) };
    const { input, fresh } = await deps.input.prepare(data.text, data.mediaUrls!, loaded.work.transcripts[jobId]);
    const fields = Object.fromEntries(Object.entries(fresh).map(([i, text]) => [workFields.transcript(jobId, Number(i)), text]));
    if (Object.keys(fields).length) await store.record(data.conversation.id, turnJobId, fields);
    return { jobId, data, input };
  }

  function kindOf(m: Message, loaded: LoadedState): Kind {
    const d = decide(settings, { text: m.input.text, receivedAt: m.data.receivedAt, route: m.data.route, state: loaded.state, now: deps.clock(), limited: m.data.limited });
    if (d.silent === 'opt_out') return 'opt_out';
    if (d.effects.some((e) => e.type === 'handoff')) return 'handoff';
    const ai = aiOnly(d);
    return ai ? { ai: ai.route ?? '' } : 'other';
  }

  /**
   * The later messages of the burst the message leads: it waits (parked) while one more could join.
   * A message the AI alone would not answer ends the burst; an opt-out word or a handoff also wins
   * over the messages before it, which then get no reply.
   */
  async function burstOf(job: Job, token: string | undefined, leader: Message, loaded: LoadedState): Promise<{ members: Message[]; dropped?: 'opt_out' | 'handoff' }> {
    if (!deps.coalescer) return { members: [] };
    const own = kindOf(leader, loaded);
    if (typeof own !== 'object') return { members: [] };
    const gathered = await deps.coalescer.gather(job.id!, leader.data);
    if ('wait' in gathered) return deps.coalescer.park(job, token, gathered.wait);
    const members: Message[] = [];
    for (const candidate of gathered.members) {
      const m = await messageOf(job.id!, candidate.jobId, candidate.data, loaded);
      const kind = kindOf(m, loaded);
      if (kind === 'opt_out' || kind === 'handoff') return { members, dropped: kind };
      if (typeof kind !== 'object' || kind.ai !== own.ai) break;
      members.push(m);
    }
    return { members };
  }

  /** Decides, pays for the AI once, commits. If a person took over during the AI call, decides again: the AI's reply is then a draft for them. */
  async function decideAndCommit(job: Job, leader: Message, first: LoadedState, burst: { members: Message[]; dropped?: 'opt_out' | 'handoff' }): Promise<TurnOutcome> {
    const { data } = leader;
    let loaded = first;
    let ai: AiReply | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = deps.clock();
      const d = decide(settings, { text: leader.input.text, receivedAt: data.receivedAt, route: data.route, state: loaded.state, now, limited: data.limited });
      // a burst is the AI's to answer: after a change of owner each message is a turn of its own again
      const members = aiOnly(d) ? burst.members : [];
      const dropped = aiOnly(d) ? burst.dropped : undefined;
      const messages = [leader, ...members];
      const outcome: TurnOutcome = {
        parts: [], epoch: loaded.state.epoch, ...(d.route ? { route: d.route } : {}), ...(d.silent ? { silent: d.silent } : {}),
        ...(members.length || dropped ? { absorbed: members.map((m) => m.jobId) } : {}), ...(dropped ? { burstDropped: dropped } : {}),
        ...(d.limited ? { limited: true } : {}),
      };
      let usedAi = false;
      let suggested: string | undefined;
      const effects: Effect[] = dropped ? [] : [...d.effects];
      for (let i = 0; i < effects.length; i++) {
        const e = effects[i]!;
        if (e.type === 'send') outcome.parts.push({ ...e.part, kind: e.kind });
        else if (e.type === 'ai') {
          const vars = d.vars ?? loaded.state.vars;
          ai ??= await deps.replier.reply({
            user: messages.map(userMessage), transcript: loaded.transcript, vars, systemPrompt: e.systemPrompt, model: e.model, campaignId: e.campaignId,
            tools: deps.offerTools?.(e.tools), rounds: loaded.work.rounds,
            recordRound: (index, round) => store.record(data.conversation.id, job.id!, { [workFields.round(index)]: JSON.stringify(round) }),
          });
          usedAi = true;
          outcome.parts.push(...ai.parts);
          if (ai.unusable) outcome.aiUnusable = ai.unusable;
          if (ai.calls.length) outcome.tools = ai.calls;
          Object.assign(d.attributes, ai.effects.attributes);
          // the flow it started and the handoff it asked for come after its text
          effects.splice(i + 1, 0, ...afterAiTools(settings, d, ai.effects, vars, now));
        } else if (e.type === 'handoff') {
          outcome.parts.push({ text: e.text, kind: 'handoff' });
          outcome.handoff = { reason: e.reason, by: 'bot' };
        } else if (e.type === 'to_agents') {
          if (deps.agentAssist && !e.optOut && !e.limited) {
            suggested = await deps.replier.suggest({ user: [userMessage(leader)], transcript: loaded.transcript, vars: loaded.state.vars }).catch((err: Error) => {
              log.warn('agent assist failed; the message goes to the agents without a suggestion', { error: err.message });
              return undefined;
            });
          }
          outcome.toAgents = { optOut: e.optOut, ...(suggested ? { suggestedReply: suggested } : {}), ...(leader.input.transcribed ? { transcript: leader.input.text } : {}) };
        } else {
          outcome.failure = { code: e.code, message: e.message };
        }
      }
      const owner = outcome.handoff || outcome.toAgents ? 'agent' : 'bot';
      // a flood is not a turn worth a profile write (nor the /users/track budget)
      const profile = d.limited ? undefined : profileOf(data, d, loaded.state, owner, d.vars ?? loaded.state.vars, usedAi && ai ? ai.effects.events.map((ev) => ({ ...ev, time: iso(now) })) : []);
      if (profile) outcome.profile = profile;
      const entries: TranscriptEntry[] = messages.map((m, k) => customerEntry(m, k === 0 ? suggested : undefined));
      if (ai && !usedAi) {
        // decided before a person took over: they see it, the customer does not
        log.info('AI reply dropped: a person took the conversation over during the AI call', { conversationId: data.conversation.id, jobId: job.id });
        entries.push(...ai.parts.map((p) => ({ at: now, who: 'bot' as const, text: p.text, kind: p.kind, draft: true })));
      }
      const result = await store.commit(data.conversation.id, job.id!, loaded.state.epoch, outcome, patchOf(data, loaded, d, Boolean(outcome.toAgents)), entries);
      if (result.status === 'earlier') return result.outcome;
      if (result.status === 'committed') {
        if (outcome.absorbed) deps.metrics.coalesced.inc({ result: dropped ? 'dropped' : 'answered' }, outcome.absorbed.length + (dropped ? 1 : 0));
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
      const { transcript } = outcome.toAgents;
      await deps.emit(conversationId, 'message.received', `mr-${job.id}`, {
        ...identity(data),
        message: {
          text: transcript ?? data.text, at: iso(data.receivedAt), ...(transcript !== undefined ? { transcribed: true } : {}),
          ...(data.mediaUrls?.length ? { media_urls: data.mediaUrls } : {}), ...(outcome.toAgents.optOut ? { opt_out: true } : {}),
          ...(outcome.limited ? { limited: true } : {}),
        },
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
      route: outcome.silent === 'opt_out' ? 'silent' : outcome.limited && !outcome.toAgents ? 'limited' : outcome.route ?? (outcome.toAgents ? 'agent' : 'ai'),
      ...(outcome.silent ? { silent: outcome.silent } : {}),
      ...(outcome.toAgents ? { toAgents: true } : {}),
      ...(outcome.limited ? { limited: true } : {}),
      ...(outcome.handoff ? { handoff: outcome.handoff.reason } : {}),
      ...(outcome.aiUnusable ? { aiUnusable: outcome.aiUnusable } : {}),
      ...(outcome.tools ? { tools: outcome.tools } : {}),
      ...(outcome.absorbed ? { coalesced: outcome.absorbed.length + 1 } : {}),
      ...(outcome.burstDropped ? { burstDropped: outcome.burstDropped } : {}),
      ...(outcome.absorbedBy ? { answeredWith: outcome.absorbedBy } : {}),
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
    if (loaded.outcome) return carryOut(job, data, loaded.outcome);
    const leader = await messageOf(job.id!, job.id!, data, loaded);
    const burst = await burstOf(job, token, leader, loaded);
    return carryOut(job, data, await decideAndCommit(job, leader, loaded, burst));
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
    const committed = await store.commit(data.conversation.id, job.id!, loaded.state.epoch, outcome, patchOf(data, loaded, {}, false), [customerEntry({ data, input: asIs(data) })]);
    if (committed.status === 'owner_changed') {
      await deps.order.advance(data.conversation);
      return;
    }
    await carryOut(job, data, committed.status === 'earlier' ? committed.outcome : outcome);
  };

  return { process, onFinalFailure };
}
