// Stand-in AI and Braze for the benchmarks (fake services): a fixed AI latency, and a record of
// when each AI request and each Braze recipient arrived. Plain node:http, keep-alive. Offered tools,
// the AI makes one tool round per message (set_user_attributes), then answers.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

/** The id a recipient is known by in the bench: its external_user_id, else its braze_id. */
const recipientId = (r) => r?.external_user_id ?? r?.braze_id;

/**
 * aiLatencyMs: how long the AI takes per request. Records ai.times (performance.now() at each
 * AI request), braze.requests, and braze.arrivals (recipient id -> first arrival time).
 */
export async function startUpstreams({ aiLatencyMs = 0 } = {}) {
  const ai = { times: [], toolRounds: 0 };
  const braze = { requests: 0, recipients: 0, duplicates: 0, tracks: 0, arrivals: new Map(), waiters: [] };

  const aiServer = createServer(async (req, res) => {
    ai.times.push(performance.now());
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return sendJson(res, 400, { error: { message: 'bad JSON' } });
    }
    const user = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '';
    const toolRound = Array.isArray(body.tools) && body.tools.length && body.tool_choice !== 'none' && body.messages?.at(-1)?.role !== 'tool';
    if (toolRound) ai.toolRounds += 1;
    const message = toolRound
      ? { role: 'assistant', content: null, tool_calls: [{ id: `call_${randomUUID()}`, type: 'function', function: { name: 'set_user_attributes', arguments: '{"attributes":{"plan":"gold"}}' } }] }
      : { role: 'assistant', content: `Thanks for your message, we are looking into it. (${String(user).slice(0, 40)})` };
    const answer = {
      id: `chatcmpl-bench-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'bench',
      choices: [{ index: 0, message, finish_reason: toolRound ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: 60, completion_tokens: 20, total_tokens: 80 },
    };
    if (aiLatencyMs > 0) setTimeout(() => sendJson(res, 200, answer), aiLatencyMs);
    else sendJson(res, 200, answer);
  });

  const brazeServer = createServer(async (req, res) => {
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return sendJson(res, 400, { message: 'bad JSON' });
    }
    if (req.url === '/users/track') {
      braze.tracks += 1;
      return sendJson(res, 201, { message: 'success' });
    }
    const now = performance.now();
    braze.requests += 1;
    for (const r of body.recipients ?? []) {
      braze.recipients += 1;
      const id = recipientId(r);
      if (braze.arrivals.has(id)) braze.duplicates += 1;
      else braze.arrivals.set(id, now);
    }
    sendJson(res, 201, { dispatch_id: `bench-${randomUUID()}`, message: 'success' });
    braze.waiters = braze.waiters.filter((w) => (braze.arrivals.size >= w.n ? (clearTimeout(w.timer), w.resolve(true), false) : true));
  });

  const [aiPort, brazePort] = [await listen(aiServer), await listen(brazeServer)];
  const close = (server) => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
  return {
    ai,
    braze,
    aiBaseUrl: `http://127.0.0.1:${aiPort}/v1`,
    brazeEndpoint: `http://127.0.0.1:${brazePort}`,
    /** resolves true once n distinct recipients reached Braze, false after timeoutMs */
    waitForRecipients(n, timeoutMs) {
      if (braze.arrivals.size >= n) return Promise.resolve(true);
      return new Promise((resolve) => {
        const w = { n, resolve };
        w.timer = setTimeout(() => { braze.waiters = braze.waiters.filter((x) => x !== w); resolve(false); }, timeoutMs);
        braze.waiters.push(w);
      });
    },
    reset() {
      Object.assign(ai, { times: [], toolRounds: 0 });
      Object.assign(braze, { requests: 0, recipients: 0, duplicates: 0, tracks: 0, arrivals: new Map() });
    },
    close: () => Promise.all([close(aiServer), close(brazeServer)]),
  };
}
