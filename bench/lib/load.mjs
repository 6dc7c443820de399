// Webhook traffic: the Braze webhook body, a deterministic preloader and the autocannon load.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { WEBHOOK_PATH, WEBHOOK_SECRET } from './env.mjs';

const SAMPLE = 'Hi, my order has not arrived yet and the tracking page shows no update since Monday. Can you check it for me please?';

/** A WhatsApp text of exactly `chars` characters, different per message. */
function messageText(i, chars = 100) {
  const head = `#${i} `;
  return (head + SAMPLE.repeat(Math.ceil(chars / SAMPLE.length) + 1)).slice(0, chars);
}

/** The webhook body of the Braze template in docs/braze-setup.md, for user `user` of run `tag`. */
export function webhookBody(tag, user, i = user) {
  return JSON.stringify({
    braze_id: `bz-${tag}-${user}`,
    user_id: `user-${tag}-${user}`,
    phone_number: `+1555${String(user).padStart(7, '0')}`,
    message: messageText(i),
  });
}
export const userIdOf = (tag, user) => `user-${tag}-${user}`;

const HEADERS = { 'content-type': 'application/json', 'x-webhook-secret': WEBHOOK_SECRET };

/** One webhook over a keep-alive agent; resolves with the status code. */
export function postWebhook(baseUrl, body, agent) {
  const url = new URL(WEBHOOK_PATH, baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Posts bodies[0..n) to the ingest with `connections` requests in flight. Untimed set-up for
 * worker scenarios. A webhook answered other than 2xx is sent again (up to 3 times, after 200 and
 * 400 ms), as Braze would; `statuses` counts every answer, so a retried one shows up there.
 */
export async function preload(baseUrl, n, bodyOf, connections = 32) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const retries = [];
  let next = 0;
  const take = () => retries.shift() ?? (next < n ? { i: next++, tries: 0 } : undefined);
  let ok = 0;
  const statuses = {};
  const started = performance.now();
  const lane = async () => {
    for (let item = take(); item; item = take()) {
      const status = await postWebhook(baseUrl, bodyOf(item.i), agent).catch((err) => err.code ?? 'error');
      statuses[status] = (statuses[status] ?? 0) + 1;
      item.tries += 1;
      if (status >= 200 && status < 300) ok += 1;
      else if (item.tries < 3) {
        await new Promise((resolve) => setTimeout(resolve, 200 * item.tries));
        retries.push(item);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(connections, n) }, lane));
  agent.destroy();
  return { ok, statuses, seconds: (performance.now() - started) / 1000 };
}

/**
 * autocannon against the webhook route: `connections` keep-alive connections, no pipelining,
 * every request a different user. Returns throughput of 2xx answers and latency percentiles.
 */
export async function hammer(baseUrl, { seconds, connections = 32, tag }) {
  let i = 0;
  const result = await autocannon({
    url: new URL(WEBHOOK_PATH, baseUrl).href,
    method: 'POST',
    connections,
    pipelining: 1,
    duration: seconds,
    headers: HEADERS,
    requests: [{ setupRequest: (req) => ({ ...req, body: webhookBody(tag, i++ % 50_000, i) }) }],
  });
  return {
    rps: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    seconds: result.duration,
  };
}
