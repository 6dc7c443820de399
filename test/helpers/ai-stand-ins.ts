import type { RecordedRequest, Reply } from './stand-in-server';

/**
 * Stand-in OpenAI-compatible servers with tools, transcription and vision, for the AI feature tests.
 *
 * Chat: a user message `/tool <name> <json arguments>` (one call per line) is answered with those
 * tool calls when tools are offered; once the tool results are in, the answer is `done: <results>`.
 * Anything else is echoed (`echo: <text>`, plus `[n image(s)]` for image parts).
 * Transcription: the "audio" file's bytes, read as text, are the transcript.
 */
export type Flavour = 'openai' | 'vllm-without-tools' | 'ollama';

type Message = { role: string; content: unknown; tool_calls?: unknown[]; tool_call_id?: string };

/** The text of a message's content (a string, or the text parts of an array). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.filter((p) => p?.type === 'text').map((p) => p.text).join('\n');
  return '';
}

export const imagesOf = (content: unknown): string[] => (Array.isArray(content) ? content.filter((p) => p?.type === 'image_url').map((p) => p.image_url.url) : []);

/** The tool calls `/tool` lines ask for. */
export function toolLines(text: string): Array<{ name: string; arguments: string }> {
  return text.split('\n').map((l) => /^\/tool\s+(\S+)\s*(.*)$/.exec(l.trim())).filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1]!, arguments: m[2]?.trim() || '{}' }));
}

function completion(flavour: Flavour, message: Record<string, unknown>, finish: string): Reply {
  const choice = { index: 0, message: { role: 'assistant', ...message }, finish_reason: finish };
  if (flavour === 'ollama') {
    // Ollama's /v1 leaves out what it does not have: no usage here, tool calls without id and type, finish_reason "stop"
    const calls = (message.tool_calls as Array<{ function: unknown }> | undefined)?.map((c) => ({ function: c.function }));
    return { status: 200, body: { model: 'llama3.1', choices: [{ ...choice, message: { role: 'assistant', content: message.content ?? '', ...(calls ? { tool_calls: calls } : {}) }, finish_reason: 'stop' }] } };
  }
  return { status: 200, body: { id: 'chatcmpl-standin', object: 'chat.completion', model: 'stand-in', choices: [choice], usage: { prompt_tokens: 10, completion_tokens: 5 } } };
}

/** The transcript of a multipart /audio/transcriptions body: the text of its `file` part. */
export function uploadedFile(body: unknown): string {
  const raw = typeof body === 'string' ? body : '';
  const m = /name="file"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*?)\r\n--/.exec(raw);
  return m?.[1] ?? '';
}

export const multipartField = (body: unknown, name: string): string | undefined =>
  new RegExp(`name="${name}"\\r\\n\\r\\n([^\\r\\n]*)`).exec(typeof body === 'string' ? body : '')?.[1];

/** A stand-in AI server script that behaves like `flavour`. */
export function aiServer(flavour: Flavour = 'openai') {
  return (req: RecordedRequest): Reply => {
    if (req.path.endsWith('/audio/transcriptions')) {
      if (flavour === 'ollama') return { raw: '404 page not found', status: 404, headers: { 'Content-Type': 'text/plain' } };
      return { status: 200, body: { text: uploadedFile(req.body) } };
    }
    const body = req.body as { messages: Message[]; tools?: unknown[]; tool_choice?: string };
    if (flavour === 'vllm-without-tools' && body.tools?.length) {
      return { status: 400, body: { object: 'error', message: '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set', type: 'BadRequestError', param: null, code: 400 } };
    }
    const last = body.messages.at(-1)!;
    if (last.role === 'tool') {
      const results = body.messages.filter((m) => m.role === 'tool').map((m) => textOf(m.content));
      return completion(flavour, { content: `done: ${results.join(' ')}` }, 'stop');
    }
    const text = textOf(last.content);
    const calls = toolLines(text);
    if (calls.length && body.tools?.length && body.tool_choice !== 'none') {
      return completion(flavour, { content: null, tool_calls: calls.map((c, i) => ({ id: `call_standin_${i}`, type: 'function', function: c })) }, 'tool_calls');
    }
    const images = imagesOf(last.content);
    return completion(flavour, { content: `echo: ${text}${images.length ? ` [${images.length} image${images.length === 1 ? '' : 's'}]` : ''}` }, 'stop');
  };
}

/**
 * A stand-in media host (Braze keeps inbound media on its CDN): GET /media/voice.ogg?say=<words>
 * serves a "voice note" whose bytes are the words; /media/photo.png a tiny PNG; anything else 404.
 */
export function mediaServer(req: RecordedRequest): Reply {
  const url = new URL(req.path, 'http://media');
  if (url.pathname === '/media/voice.ogg') return { raw: url.searchParams.get('say') ?? '', headers: { 'Content-Type': 'audio/ogg; codecs=opus' } };
  if (url.pathname === '/media/photo.png') return { raw: TINY_PNG, headers: { 'Content-Type': 'image/png' } };
  if (url.pathname === '/media/manual.pdf') return { raw: '%PDF-1.4', headers: { 'Content-Type': 'application/pdf' } };
  return { raw: 'not found', status: 404, headers: { 'Content-Type': 'text/plain' } };
}

/** A 1×1 PNG. */
export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
