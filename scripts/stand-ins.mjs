#!/usr/bin/env node
// STAND-INS — FAKE services for local runs and demos. Not the real AI, not the real Braze.
//
//   AI     POST /v1/chat/completions     an OpenAI-compatible endpoint that echoes the last user message;
//                                        with tools offered, a message "/tool <name> <json>" (one per line)
//                                        is answered with those tool calls, then "Done: ..." with the results;
//                                        image parts are counted ("I see 1 image")
//          POST /v1/audio/transcriptions the uploaded file's bytes, read as text, are the transcript
//   Braze  POST /campaigns/trigger/send  accepts the reply, prints it, answers 201 like Braze does
//          POST /users/track             accepts profile attributes and events, prints them
//          GET  /media/voice.ogg?say=..  a fake voice note whose bytes are the words (audio/ogg)
//          GET  /media/photo.png         a 1x1 PNG
//
// Run:    node scripts/stand-ins.mjs
// Env:    STANDIN_AI_PORT (4010), STANDIN_BRAZE_PORT (4011), STANDIN_HOST (127.0.0.1; use 0.0.0.0
//         when containers must reach it: it then also prints the URLs a container can use)
// Point the worker at it:  AI_BASE_URL=http://<host>:4010/v1  BRAZE_REST_ENDPOINT=http://<host>:4011
//         (any non-empty AI_API_KEY and BRAZE_API_KEY; both servers only check that a Bearer token is sent)
// Import: const standIns = await startStandIns({ aiPort, brazePort, host, onReply, onTrack }); ... await standIns.close();
//         standIns.mediaUrl('voice', 'Olá, cadê meu pedido?') and standIns.mediaUrl('photo') are URLs for
//         webhook media_urls (the worker needs MEDIA_ALLOW_PRIVATE=true to fetch from 127.0.0.1)
//
// Plain Node (node:http), no dependencies.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import os from 'node:os';
import { pathToFileURL } from 'node:url';

const MAX_BODY_BYTES = 1024 * 1024;

/** One readable stdout line per reply that reached the stand-in Braze. */
export function printReply({ campaignId, recipient, triggerProperties }) {
  const who = Object.entries(recipient)
    .filter(([key]) => key !== 'trigger_properties')
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  process.stdout.write(`[stand-in Braze] reply to ${who || '(no recipient)'} (campaign ${campaignId}): ${JSON.stringify(triggerProperties)}\n`);
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(Object.assign(new Error('body is not valid JSON'), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

const hasBearer = (req) => /^Bearer \S+/.test(req.headers.authorization ?? '');
const pathOf = (req) => new URL(req.url ?? '/', 'http://stand-in').pathname;

/** Wraps a JSON route: 404 off the path, 405 off POST, 401 without a Bearer token, 400 on bad JSON. */
function jsonRoute(paths, handle) {
  return async (req, res) => {
    if (!paths.includes(pathOf(req))) return sendJson(res, 404, { error: { message: `stand-in: no route ${req.method} ${pathOf(req)}` } });
    if (req.method !== 'POST') return sendJson(res, 405, { error: { message: 'stand-in: use POST' } });
    if (!hasBearer(req)) return sendJson(res, 401, { error: { message: 'stand-in: missing Authorization: Bearer <key>' } });
    let body;
    try {
      body = await readJson(req);
    } catch (err) {
      return sendJson(res, err.status ?? 400, { error: { message: `stand-in: ${err.message}` } });
    }
    try {
      const [status, answer] = handle(body);
      sendJson(res, status, answer);
    } catch (err) {
      sendJson(res, 500, { error: { message: `stand-in: ${err.message}` } });
    }
  };
}

const roughTokens = (text) => Math.max(1, Math.ceil(text.length / 4));

/** The text of a message's content: a string, or the text parts of an array. */
const textOf = (content) => (typeof content === 'string' ? content : Array.isArray(content) ? content.filter((p) => p?.type === 'text').map((p) => p.text).join('\n') : '');

/** `/tool <name> <json>` lines of a message, as tool calls. */
function toolCalls(text) {
  return text.split('\n').map((line) => /^\/tool\s+(\S+)\s*(.*)$/.exec(line.trim())).filter(Boolean)
    .map((m, i) => ({ id: `call_standin_${randomUUID().slice(0, 8)}_${i}`, type: 'function', function: { name: m[1], arguments: m[2].trim() || '{}' } }));
}

/** What the stand-in AI answers: tool calls for /tool lines (when tools are offered), the tool results after them, else an echo. */
function answerFor(body) {
  const last = body.messages[body.messages.length - 1];
  if (last?.role === 'tool') {
    const results = body.messages.slice(body.messages.findLastIndex((m) => m?.role !== 'tool') + 1).map((m) => textOf(m.content));
    return { content: `(stand-in AI) Done: ${results.join(' ')}` };
  }
  const lastUser = [...body.messages].reverse().find((m) => m?.role === 'user');
  const said = textOf(lastUser?.content ?? '');
  const calls = Array.isArray(body.tools) && body.tools.length && body.tool_choice !== 'none' ? toolCalls(said) : [];
  if (calls.length) return { content: null, tool_calls: calls };
  const images = Array.isArray(lastUser?.content) ? lastUser.content.filter((p) => p?.type === 'image_url').length : 0;
  return { content: `(stand-in AI) You said: ${said}${images ? ` (I see ${images} image${images === 1 ? '' : 's'})` : ''}` };
}

function completion(body, onCompletion) {
  if (!Array.isArray(body?.messages) || body.messages.length === 0) {
    return [400, { error: { message: 'stand-in AI: "messages" must be a non-empty array', type: 'invalid_request_error' } }];
  }
  const message = answerFor(body);
  const content = message.content ?? '';
  onCompletion?.({ model: body.model, messages: body.messages, content, toolCalls: message.tool_calls });
  const prompt = body.messages.map((m) => textOf(m?.content)).join('\n');
  return [
    200,
    {
      id: `chatcmpl-standin-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'stand-in',
      choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: roughTokens(prompt), completion_tokens: roughTokens(content), total_tokens: roughTokens(prompt) + roughTokens(content) },
    },
  ];
}

/** POST /v1/audio/transcriptions (multipart): the uploaded file's bytes, read as text, are the transcript. */
function transcription(req, res) {
  if (!hasBearer(req)) return sendJson(res, 401, { error: { message: 'stand-in: missing Authorization: Bearer <key>' } });
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const file = /name="file"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*?)\r\n--/.exec(raw);
    if (!file) return sendJson(res, 400, { error: { message: 'stand-in AI: a multipart "file" part is required' } });
    return sendJson(res, 200, { text: file[1] });
  });
}

/** POST /users/track: attributes and events, as Braze takes them. */
function usersTrack(body, onTrack) {
  const attributes = Array.isArray(body?.attributes) ? body.attributes : [];
  const events = Array.isArray(body?.events) ? body.events : [];
  onTrack({ attributes, events });
  return [201, { attributes_processed: attributes.length, events_processed: events.length, message: 'success' }];
}

/** One readable stdout line per /users/track request that reached the stand-in Braze. */
export function printTrack({ attributes, events }) {
  process.stdout.write(`[stand-in Braze] /users/track: attributes ${JSON.stringify(attributes)} events ${JSON.stringify(events.map((e) => e.name))}\n`);
}

const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** GET /media/...: the customer media Braze would host. */
function media(req, res) {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const file = url.pathname === '/media/voice.ogg' ? ['audio/ogg', Buffer.from(url.searchParams.get('say') ?? '')]
    : url.pathname === '/media/photo.png' ? ['image/png', TINY_PNG] : undefined;
  if (!file) return sendJson(res, 404, { message: `stand-in: no media ${url.pathname}` });
  res.writeHead(200, { 'content-type': file[0], 'content-length': file[1].length });
  return res.end(file[1]);
}

function triggerSend(body, onReply) {
  if (typeof body?.campaign_id !== 'string' || !Array.isArray(body.recipients) || body.recipients.length === 0) {
    return [400, { message: 'stand-in Braze: "campaign_id" and a non-empty "recipients" array are required' }];
  }
  const dispatchId = `standin-${randomUUID()}`;
  for (const recipient of body.recipients) {
    onReply({ campaignId: body.campaign_id, dispatchId, recipient, triggerProperties: recipient?.trigger_properties ?? {} });
  }
  return [201, { dispatch_id: dispatchId, message: 'success' }];
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

/**
 * Starts both stand-ins. Port 0 picks a free port; the chosen ports are in the result.
 * onReply({ campaignId, dispatchId, recipient, triggerProperties }) runs for each recipient that
 * reaches the stand-in Braze (default: printReply). onCompletion({ model, messages, content }) runs
 * for each AI request (default: nothing).
 */
export async function startStandIns({ aiPort = 4010, brazePort = 4011, host = '127.0.0.1', onReply = printReply, onCompletion, onTrack = printTrack } = {}) {
  const chat = jsonRoute(['/v1/chat/completions', '/chat/completions'], (body) => completion(body, onCompletion));
  const ai = createServer((req, res) => (/\/audio\/transcriptions$/.test(pathOf(req)) && req.method === 'POST' ? transcription(req, res) : chat(req, res)));
  const trigger = jsonRoute(['/campaigns/trigger/send'], (body) => triggerSend(body, onReply));
  const track = jsonRoute(['/users/track'], (body) => usersTrack(body, onTrack));
  const braze = createServer((req, res) => (pathOf(req).startsWith('/media/') && req.method === 'GET' ? media(req, res) : pathOf(req) === '/users/track' ? track(req, res) : trigger(req, res)));
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const actualAiPort = await listen(ai, aiPort, host);
  let actualBrazePort;
  try {
    actualBrazePort = await listen(braze, brazePort, host);
  } catch (err) {
    ai.close();
    throw err;
  }
  const closeServer = (server) => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return {
    aiPort: actualAiPort,
    brazePort: actualBrazePort,
    aiBaseUrl: `http://${urlHost}:${actualAiPort}/v1`,
    brazeEndpoint: `http://${urlHost}:${actualBrazePort}`,
    /** a URL of stand-in media for webhook media_urls: mediaUrl('voice', 'words said') or mediaUrl('photo') */
    mediaUrl: (kind, words = '') => `http://${urlHost}:${actualBrazePort}/media/${kind === 'voice' ? `voice.ogg?say=${encodeURIComponent(words)}` : 'photo.png'}`,
    close: () => Promise.all([closeServer(ai), closeServer(braze)]).then(() => undefined),
  };
}

function portFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`stand-ins: ${name} must be a port number (0-65535)\n`);
    process.exit(2);
  }
  return port;
}

/**
 * How a container reaches a port of this machine: the host names podman and Docker Desktop
 * provide, then this machine's own non-loopback IPv4 addresses.
 */
function containerHosts() {
  const own = Object.entries(os.networkInterfaces()).flatMap(([name, addresses]) =>
    (addresses ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => ({ host: a.address, label: `this machine (${name})` })));
  return [
    { host: 'host.containers.internal', label: 'podman' },
    { host: 'host.docker.internal', label: 'Docker Desktop (Docker Engine on Linux: --add-host=host.docker.internal:host-gateway)' },
    ...own,
  ];
}

async function main() {
  const host = process.env.STANDIN_HOST?.trim() || '127.0.0.1';
  const standIns = await startStandIns({
    aiPort: portFromEnv('STANDIN_AI_PORT', 4010),
    brazePort: portFromEnv('STANDIN_BRAZE_PORT', 4011),
    host,
    onCompletion: ({ model, messages, toolCalls }) => process.stdout.write(`[stand-in AI] completion for model ${model} (${messages.length} messages)${toolCalls ? `: calls ${toolCalls.map((c) => c.function.name).join(', ')}` : ''}\n`),
  });
  const everyInterface = host === '0.0.0.0' || host === '::';
  const fromContainers = everyInterface
    ? ['  From a container (this machine\'s 127.0.0.1 is not the container\'s):',
        ...containerHosts().map(({ host: h, label }) => `    ${label}:\n      AI_BASE_URL=http://${h}:${standIns.aiPort}/v1  BRAZE_REST_ENDPOINT=http://${h}:${standIns.brazePort}`)]
    : ['  (only this machine can reach them: STANDIN_HOST=0.0.0.0 for containers)'];
  process.stdout.write(
    `STAND-INS running (fake services, not the real AI or Braze) on ${host}\n` +
      `  From this machine:\n` +
      `    stand-in AI:    AI_BASE_URL=${standIns.aiBaseUrl}\n` +
      `    stand-in Braze: BRAZE_REST_ENDPOINT=${standIns.brazeEndpoint}\n` +
      `${fromContainers.join('\n')}\n`,
  );
  const stop = () => standIns.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`stand-ins: ${err.message}\n`);
    process.exit(1);
  });
}
