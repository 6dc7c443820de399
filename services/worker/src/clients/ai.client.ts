import { UpstreamError, aiPauseFromHeaders, classifyHttpError } from '@bridge/shared';
import { z } from 'zod';
import type { WorkerConfig } from '../config';
import { createHttpClient } from './http-agent';

/** A part of a user message: text, or an image (an https URL or a data: URL with the image in base64). */
export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/**
 * A tool call as servers send it. Ollama-style servers may leave out `id` and `type`, or send the
 * arguments as an object instead of a JSON string.
 */
const RawToolCall = z.object({
  id: z.string().min(1).optional().catch(undefined),
  function: z.object({
    name: z.string().catch(''),
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).optional().catch(undefined),
  }),
});

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

/** A call the model asked for; `id` is missing when the server sent none (the caller gives it one). */
export interface RequestedCall {
  id?: string;
  name: string;
  arguments: string;
}

/**
 * What the AI answered. A refusal or an answer without usable text is final: asking the same
 * question again costs the same and answers the same.
 */
export type AiAnswer =
  | { kind: 'text'; content: string; finishReason?: string }
  | { kind: 'tool_calls'; calls: RequestedCall[]; content?: string }
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

function requestedCall(raw: unknown): RequestedCall {
  const parsed = RawToolCall.safeParse(raw);
  if (!parsed.success) return { name: '', arguments: '' };
  const args = parsed.data.function.arguments;
  return { ...(parsed.data.id ? { id: parsed.data.id } : {}), name: parsed.data.function.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) };
}

/** Tool calls count only when tools were offered (some servers send them anyway); `finish_reason` is not relied on (Ollama says "stop"). */
export function readAnswer(message: z.infer<typeof ChatCompletion>['choices'][number]['message'], finishReason?: string | null, toolsOffered = false): AiAnswer {
  const content = message.content ?? undefined;
  const hasText = content !== undefined && content.trim() !== '';
  if (toolsOffered && message.tool_calls?.length) return { kind: 'tool_calls', calls: message.tool_calls.map(requestedCall), ...(hasText ? { content } : {}) };
  if (hasText) return { kind: 'text', content: content!, ...(finishReason ? { finishReason } : {}) };
  if (typeof message.refusal === 'string') return { kind: 'refusal', text: message.refusal.trim() };
  if (message.tool_calls?.length) return { kind: 'empty', why: 'unrequested_tool_calls' };
  return { kind: 'empty', why: content === undefined ? 'no_content' : 'blank' };
}

export interface CompleteOptions {
  model?: string;
  tools?: ToolDefinition[];
  /** with tools: "none" asks for text (the last round) */
  toolChoice?: 'auto' | 'none';
}

/**
 * A 400 that names tools, to a request that offered them: the server cannot call tools (vLLM
 * started without --enable-auto-tool-choice answers so). Retrying cannot help; the operator must act.
 */
function toolsRefused(e: UpstreamError): UpstreamError | undefined {
  if (e.status !== 400 || !/tool/i.test(e.message)) return undefined;
  return new UpstreamError('ai', 'AI_TOOLS_UNSUPPORTED',
    `the AI server refused tool calling (${e.message}): start it with tool support (vLLM: --enable-auto-tool-choice --tool-call-parser <parser>; Ollama: a model with tool support) or set AI_TOOLS=false`,
    { retryable: false, status: 400, cause: e });
}

/** OpenAI-compatible chat completions, not streamed. One request, no retries of its own. */
export function createAiClient(config: WorkerConfig['ai'], observe: (o: AiObservation) => void = () => undefined) {
  const http = createHttpClient(config.baseUrl, config.timeoutMs, { Authorization: `Bearer ${config.apiKey}` });
  return {
    async complete(messages: ChatMessage[], options: CompleteOptions = {}): Promise<Completion> {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      const withTools = Boolean(options.tools?.length);
      let data: unknown;
      let pauseMs: number | undefined;
      try {
        const res = await http.post('/chat/completions', {
          model: options.model ?? config.model,
          messages,
          ...(withTools ? { tools: options.tools, tool_choice: options.toolChoice ?? 'auto' } : {}),
        });
        data = res.data;
        pauseMs = aiPauseFromHeaders(res.headers, config.tokenFloor);
      } catch (err) {
        const e = classifyHttpError(err, 'ai');
        observe({ status: e.status ? String(e.status) : e.code, seconds: seconds() });
        throw (withTools && toolsRefused(e)) || e;
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
        answer: readAnswer(choice.message, choice.finish_reason, withTools && options.toolChoice !== 'none'),
        promptTokens: usage.prompt_tokens ?? 0,
        completionTokens: usage.completion_tokens ?? 0,
      };
      observe({ status: '200', seconds: seconds(), promptTokens: result.promptTokens, completionTokens: result.completionTokens, pauseMs });
      return result;
    },
  };
}
export type AiClient = ReturnType<typeof createAiClient>;
