import type { AxiosResponseHeaders, RawAxiosResponseHeaders } from 'axios';
import { UpstreamError, classifyHttpError } from '@bridge/shared';
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

/** OpenAI-style durations: "1s", "6m0s", "20ms", "1h2m3.5s". */
export function parseResetDuration(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  let ms = 0;
  let matched = false;
  for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    matched = true;
    ms += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return matched ? ms : undefined;
}

/**
 * How long to hold the AI queue from OpenAI-style headers (x-ratelimit-remaining-requests /
 * -tokens and their -reset-): when no request is left, or fewer tokens than the floor.
 */
export function aiPauseFromHeaders(headers: RawAxiosResponseHeaders | AxiosResponseHeaders | undefined, tokenFloor: number): number | undefined {
  if (!headers) return undefined;
  const waits: number[] = [];
  const requests = headers['x-ratelimit-remaining-requests'];
  if (requests !== undefined && Number(requests) <= 0) waits.push(parseResetDuration(headers['x-ratelimit-reset-requests']) ?? 1_000);
  const tokens = headers['x-ratelimit-remaining-tokens'];
  if (tokens !== undefined && Number(tokens) < tokenFloor) waits.push(parseResetDuration(headers['x-ratelimit-reset-tokens']) ?? 1_000);
  return waits.length ? Math.max(...waits) : undefined;
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
