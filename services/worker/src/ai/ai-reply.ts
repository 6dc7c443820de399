import type { Logger, ReplyKind, ReplyPart, TranscriptEntry } from '@bridge/shared';
import type { AiClient } from '../clients/ai.client';
import { aiHistory, buildMessages, userContent } from '../domain/build-messages';
import type { WorkerMetrics } from '../metrics';

export interface AiRequest {
  text: string;
  mediaCount: number;
  transcript: TranscriptEntry[];
  vars: Record<string, string>;
  systemPrompt?: string;
  model?: string;
  campaignId?: string;
}

export interface AiReply {
  parts: Array<ReplyPart & { kind: ReplyKind }>;
  /** AI_REFUSED or AI_EMPTY: the answer had no text to send */
  unusable?: 'AI_REFUSED' | 'AI_EMPTY';
}

export interface AiReplyDeps {
  ai: AiClient;
  systemPrompt: string;
  assistPrompt: string;
  fallbackMessage: string | undefined;
  history: { maxTurns: number; ttlMs: number };
  metrics: WorkerMetrics;
  log: Logger;
  clock: () => number;
}

/** An AI turn: the prompt from the conversation, one completion, and what to send from it. */
export function createAiReplier(deps: AiReplyDeps) {
  const messagesFor = (r: AiRequest, systemPrompt: string) =>
    buildMessages(systemPrompt, aiHistory(r.transcript, deps.history.maxTurns, deps.clock() - deps.history.ttlMs), userContent(r), r.vars);

  return {
    async reply(r: AiRequest): Promise<AiReply> {
      const { answer } = await deps.ai.complete(messagesFor(r, r.systemPrompt ?? deps.systemPrompt), { model: r.model });
      const campaign = r.campaignId ? { campaignId: r.campaignId } : {};
      if (answer.kind === 'text') return { parts: [{ text: answer.content, kind: 'ai', ...campaign }] };
      // final at the first answer: the same question would cost the same and be refused again
      const unusable = answer.kind === 'refusal' ? 'AI_REFUSED' : 'AI_EMPTY';
      deps.metrics.aiUnusable.inc({ reason: unusable });
      deps.log.warn('the AI answered without text to send', { code: unusable, why: answer.kind === 'empty' ? answer.why : 'refusal', fallback: Boolean(deps.fallbackMessage) });
      const text = answer.kind === 'refusal' && answer.text ? answer.text : deps.fallbackMessage;
      return { parts: text ? [{ text, kind: answer.kind === 'refusal' && answer.text ? 'refusal' : 'fallback', ...campaign }] : [], unusable };
    },

    /** Agent assist: a draft for the person answering, never sent by itself. */
    async suggest(r: AiRequest): Promise<string | undefined> {
      const { answer } = await deps.ai.complete(messagesFor(r, deps.assistPrompt));
      return answer.kind === 'text' ? answer.content : undefined;
    },
  };
}
export type AiReplier = ReturnType<typeof createAiReplier>;
