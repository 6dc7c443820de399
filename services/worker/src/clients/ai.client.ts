import { UpstreamError, aiPauseFromHeaders, classifyHttpError } from '@bridge/shared';
import { z } from 'zod';
import type { WorkerConfig } from '../config';
import { createHttpClient } from './http-agent';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * An OpenAI chat completion as servers send it. `content` may be null (a refusal, tool calls), and
 * Ollama-style servers omit fields: only what is needed is required.
 */
const ChatCompletion = z.object({
  choices: z.array(z.object({
    message: z.object({
      content: z.string().nullable().optional(),
      refusal: z.string().nullable().optional(),
      tool_calls: z.array(z.unknown()).nullable().optional(),
    }),
    finish_reason: z.string().nullable().optional(),
  })).min(1),
  usage: z.object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() }).partial().nullable().optional(),
});

/**
 * What the AI answered. A refusal or an answer without usable text is final: asking the same
 * question again costs the same and answers the same.
 */
export type AiAnswer =
  | { kind: 'text'; content: string; finishReason?: string }
  | { kind: 'refusal'; text: string }
  | { kind: 'empty'; why: 'no_content' | 'blank' | 'unrequested_tool_calls' };

export interface Completion {
  answer: AiAnswer;
  promptTokens: number;
  completionTokens: number;
}

export interface AiObservation {
  status: string;
  seconds: number;
  promptTokens?: number;
  completionTokens?: number;
  /** set when the provider's rate-limit headers say its budget is (nearly) spent: wait this long */
  pauseMs?: number;
}

export function readAnswer(message: z.infer<typeof ChatCompletion>['choices'][number]['message'], finishReason?: string | null): AiAnswer {
  const content = message.content ?? undefined;
  if (content !== undefined && content.trim() !== '') return { kind: 'text', content, ...(finishReason ? { finishReason } : {}) };
  if (typeof message.refusal === 'string') return { kind: 'refusal', text: message.refusal.trim() };
  if (message.tool_calls?.length) return { kind: 'empty', why: 'unrequested_tool_calls' };
  return { kind: 'empty', why: content === undefined ? 'no_content' : 'blank' };
}

/** OpenAI-compatible chat completions, not streamed. One request, no retries of its own. */
export function createAiClient(config: WorkerConfig['ai'], observe: (o: AiObservation) => void = () => undefined) {
  const http = createHttpClient(config.baseUrl, config.timeoutMs, { Authorization: `Bearer ${config.apiKey}` });
  return {
    async complete(messages: ChatMessage[], options: { model?: string } = {}): Promise<Completion> {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      let data: unknown;
      let pauseMs: number | undefined;
      try {
        const res = await http.post('/chat/completions', { model: options.model ?? config.model, messages });
        data = res.data;
        pauseMs = aiPauseFromHeaders(res.headers, config.tokenFloor);
      } catch (err) {
        const e = classifyHttpError(err, 'ai');
        observe({ status: e.status ? String(e.status) : e.code, seconds: seconds() });
        throw e;
      }
      const parsed = ChatCompletion.safeParse(data);
      if (!parsed.success) {
        observe({ status: 'bad_response', seconds: seconds(), pauseMs });
        // a model or proxy answering garbage is usually passing: retry within the attempts
        throw new UpstreamError('ai', 'AI_BAD_RESPONSE', 'The AI answered 2xx without a chat completion (choices[0].message)', { retryable: true });
      }
      const usage = parsed.data.usage ?? {};
      const choice = parsed.data.choices[0]!;
      const result: Completion = {
        answer: readAnswer(choice.message, choice.finish_reason),
        promptTokens: usage.prompt_tokens ?? 0,
        completionTokens: usage.completion_tokens ?? 0,
      };
      observe({ status: '200', seconds: seconds(), promptTokens: result.promptTokens, completionTokens: result.completionTokens, pauseMs });
      return result;
    },
  };
}
export type AiClient = ReturnType<typeof createAiClient>;
