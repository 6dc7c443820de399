import { UpstreamError, aiPauseFromHeaders, classifyHttpError } from '@bridge/shared';
import { z } from 'zod';
import type { WorkerConfig } from '../config';
import { createHttpClient } from './http-agent';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const ChatCompletion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().min(1) }) })).min(1),
  usage: z.object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() }).partial().optional(),
});

export interface Completion {
  content: string;
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

/** OpenAI-compatible chat completions, not streamed. One request, no retries of its own. */
export function createAiClient(config: WorkerConfig['ai'], observe: (o: AiObservation) => void = () => undefined) {
  const http = createHttpClient(config.baseUrl, config.timeoutMs, { Authorization: `Bearer ${config.apiKey}` });
  return {
    async complete(messages: ChatMessage[]): Promise<Completion> {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      let data: unknown;
      let pauseMs: number | undefined;
      try {
        const res = await http.post('/chat/completions', { model: config.model, messages });
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
        throw new UpstreamError('ai', 'AI_BAD_RESPONSE', 'The AI answered 2xx without choices[0].message.content', { retryable: true });
      }
      const usage = parsed.data.usage ?? {};
      const result = {
        content: parsed.data.choices[0]!.message.content,
        promptTokens: usage.prompt_tokens ?? 0,
        completionTokens: usage.completion_tokens ?? 0,
      };
      observe({ status: '200', seconds: seconds(), promptTokens: result.promptTokens, completionTokens: result.completionTokens, pauseMs });
      return result;
    },
  };
}
export type AiClient = ReturnType<typeof createAiClient>;
