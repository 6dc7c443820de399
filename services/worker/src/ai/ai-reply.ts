import type { AiToolName, Logger, ReplyKind, ReplyPart, TranscriptEntry } from '@bridge/shared';
import type { AiAnswer, AiClient, ChatMessage, ToolCall } from '../clients/ai.client';
import { aiHistory, buildMessages, userContent, type UserMessage } from '../domain/build-messages';
import type { WorkerMetrics } from '../metrics';
import { fitReply, type FitSettings } from './fit-reply';
import { applyEffect, noEffects, type ToolEffects, type ToolOutcome, type Toolbox } from './tools';

export interface AiRequest {
  /** the customer's message, or the messages of a burst, in order */
  user: UserMessage[];
  transcript: TranscriptEntry[];
  vars: Record<string, string>;
  systemPrompt?: string;
  model?: string;
  campaignId?: string;
  /** the tools offered; none when empty */
  tools?: AiToolName[];
  /** tool rounds an earlier run of the job recorded: replayed, not asked again */
  rounds?: RecordedRound[];
  /** records a tool round before its calls count (a re-run replays it instead of repeating it) */
  recordRound?: (index: number, round: RecordedRound) => Promise<void>;
}

/** One answer with tool calls and what each call did, by call id. */
export interface RecordedRound {
  content?: string;
  calls: ToolCall[];
  outcomes: Array<ToolOutcome & { id: string }>;
}

export type Unusable = 'AI_REFUSED' | 'AI_EMPTY' | 'AI_TRUNCATED';

export interface AiReply {
  parts: Array<ReplyPart & { kind: ReplyKind }>;
  /** the answer had no text to send (a refusal without text, nothing, or nothing complete) */
  unusable?: Unusable;
  /** what the AI's tool calls asked for */
  effects: ToolEffects;
  /** the tools whose calls took effect, in order */
  calls: string[];
}

export interface AiReplyDeps {
  ai: AiClient;
  systemPrompt: string;
  assistPrompt: string;
  fallbackMessage: string | undefined;
  history: { maxTurns: number; ttlMs: number };
  reply: FitSettings;
  toolbox: Toolbox;
  /** AI_MAX_TOOL_ROUNDS */
  maxToolRounds: number;
  metrics: WorkerMetrics;
  log: Logger;
  clock: () => number;
}

/**
 * An AI turn: the prompt from the conversation, the completion, and what to send from it. With
 * tools, the OpenAI tool loop: an answer with tool_calls gets a `tool` result per call and is asked
 * again, at most `maxToolRounds` times; the last request says tool_choice "none". Each round is
 * recorded (by call id) before its calls count, and a re-run replays recorded rounds. Tools only
 * say what the turn will do: their effects take place when the turn's outcome is committed.
 */
export function createAiReplier(deps: AiReplyDeps) {
  const { log, metrics } = deps;
  const messagesFor = (r: AiRequest, systemPrompt: string) =>
    buildMessages(systemPrompt, aiHistory(r.transcript, deps.history.maxTurns, deps.clock() - deps.history.ttlMs), userContent(...r.user), r.vars);

  function callsOf(answer: Extract<AiAnswer, { kind: 'tool_calls' }>, round: number): ToolCall[] {
    const seen = new Set<string>();
    return answer.calls.map((c, i) => {
      // servers that omit ids (or repeat them) get ids of ours, unique in the turn
      const id = c.id && !seen.has(c.id) ? c.id : `call_${round + 1}_${i + 1}`;
      seen.add(id);
      return { id, type: 'function', function: { name: c.name, arguments: c.arguments } };
    });
  }

  function observeCall(name: string, offered: readonly AiToolName[], outcome: ToolOutcome) {
    const tool = offered.includes(name as AiToolName) ? name : 'unknown';
    metrics.aiToolCalls.inc({ tool, result: outcome.error ?? 'ok' });
    if (outcome.error) log.warn('an AI tool call did nothing; the model was told why', { tool, code: outcome.error });
    else log.info('AI tool call', { tool });
  }

  /** The parts for the final answer. */
  function partsOf(answer: AiAnswer, effects: ToolEffects, campaignId: string | undefined, capped: boolean): Pick<AiReply, 'parts' | 'unusable'> {
    const campaign = campaignId ? { campaignId } : {};
    let unusable: Unusable | undefined;
    let texts: string[] = [];
    let kind: ReplyKind = 'ai';
    if (answer.kind === 'text' || (answer.kind === 'refusal' && answer.text)) {
      const fitted = fitReply(answer.kind === 'text' ? answer.content : answer.text, answer.kind === 'text' ? answer.finishReason : undefined, deps.reply);
      if (fitted.cutAtLength) metrics.repliesFitted.inc({ how: 'cut_at_length' });
      if (fitted.split) metrics.repliesFitted.inc({ how: 'split' });
      if (fitted.cutTooLong) metrics.repliesFitted.inc({ how: 'cut_too_long' });
      if (fitted.cutAtLength || fitted.cutTooLong) log.info('the AI answer was cut to fit', { atLength: fitted.cutAtLength, tooLong: fitted.cutTooLong, parts: fitted.parts.length });
      texts = fitted.parts;
      if (answer.kind === 'refusal') {
        kind = 'refusal';
        unusable = 'AI_REFUSED';
      } else if (texts.length === 0) unusable = 'AI_TRUNCATED';
    } else {
      unusable = answer.kind === 'refusal' ? 'AI_REFUSED' : 'AI_EMPTY';
      if (capped && answer.kind === 'empty' && answer.why === 'unrequested_tool_calls') {
        metrics.aiToolCalls.inc({ tool: 'unknown', result: 'capped' });
        log.warn('the AI kept calling tools after AI_MAX_TOOL_ROUNDS rounds', { rounds: deps.maxToolRounds });
      }
    }
    if (unusable) {
      // final at the first answer: the same question would cost the same and be refused again
      metrics.aiUnusable.inc({ reason: unusable });
      log.warn('the AI answered without text to send', { code: unusable, why: answer.kind === 'empty' ? answer.why : answer.kind, fallback: Boolean(deps.fallbackMessage) });
    }
    if (texts.length === 0 && !effects.handoff && deps.fallbackMessage) {
      texts = [deps.fallbackMessage];
      kind = 'fallback';
    }
    return { parts: texts.map((text) => ({ text, kind, ...campaign })), ...(unusable ? { unusable } : {}) };
  }

  return {
    async reply(r: AiRequest): Promise<AiReply> {
      const offered = r.tools ?? [];
      const definitions = offered.length ? deps.toolbox.definitions(offered) : undefined;
      const messages: ChatMessage[] = messagesFor(r, r.systemPrompt ?? deps.systemPrompt);
      const effects = noEffects();
      const calls: string[] = [];
      const took = (round: RecordedRound) => round.calls.forEach((c, i) => { if (round.outcomes[i]?.effect) calls.push(c.function.name); });
      for (let round = 0; ; round++) {
        const last = !definitions || round >= deps.maxToolRounds;
        let recorded = r.rounds?.[round];
        if (recorded) {
          for (const o of recorded.outcomes) applyEffect(effects, o.effect);
          took(recorded);
        } else {
          const { answer } = await deps.ai.complete(messages, { model: r.model, ...(definitions ? { tools: definitions, toolChoice: last ? 'none' : 'auto' } : {}) });
          if (answer.kind !== 'tool_calls') return { ...partsOf(answer, effects, r.campaignId, Boolean(definitions) && last), effects, calls };
          const requested = callsOf(answer, round);
          const outcomes = requested.map((c) => {
            const outcome = deps.toolbox.run(c.function, offered, effects);
            applyEffect(effects, outcome.effect);
            return { id: c.id, ...outcome };
          });
          recorded = { calls: requested, outcomes, ...(answer.content ? { content: answer.content } : {}) };
          await r.recordRound?.(round, recorded);
          requested.forEach((c, i) => observeCall(c.function.name, offered, outcomes[i]!));
          took(recorded);
        }
        messages.push({ role: 'assistant', content: recorded.content ?? null, tool_calls: recorded.calls });
        for (const o of recorded.outcomes) messages.push({ role: 'tool', tool_call_id: o.id, content: o.content });
      }
    },

    /** Agent assist: a draft for the person answering, never sent by itself. */
    async suggest(r: AiRequest): Promise<string | undefined> {
      const { answer } = await deps.ai.complete(messagesFor(r, deps.assistPrompt));
      return answer.kind === 'text' ? answer.content : undefined;
    },
  };
}
export type AiReplier = ReturnType<typeof createAiReplier>;
