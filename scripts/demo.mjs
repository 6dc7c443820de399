#!/usr/bin/env node
// `pnpm demo`: the whole bridge on this machine with STAND-IN (fake) AI and Braze servers, so no
// accounts are needed. Type a line to send it as a WhatsApp message; the reply the bridge sends
// to the stand-in Braze is printed back, and a line says so when a message gets no reply on
// purpose. Commands: /user <id> switches the sender, /quit stops.
// DEMO_REDIS_URL: the Redis to use (default redis://127.0.0.1:6379; started when nothing answers).
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { startStandIns } from './stand-ins.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const secret = 'demo-webhook-secret-not-for-production';
const ingestPort = process.env.INGEST_PORT ?? '3000';
let user = 'demo-user-1';
let prompt;

/** Prints a line above the prompt: clears it, prints, then redraws it with what was typed so far. */
const show = (line) => {
  if (prompt && process.stdout.isTTY) {
    readline.clearLine(process.stdout, 0);
    readline.cursorTo(process.stdout, 0);
  }
  process.stdout.write(`${line}\n`);
  prompt?.prompt(true);
};

const standIns = await startStandIns({
  aiPort: 0,
  brazePort: 0,
  onReply: ({ recipient, triggerProperties }) => {
    const who = recipient.external_user_id ?? recipient.braze_id;
    show(`\x1b[32m[bridge → WhatsApp ${who}]\x1b[0m ${Object.values(triggerProperties).join(' ')}`);
  },
});

const env = {
  ...process.env,
  AI_BASE_URL: standIns.aiBaseUrl,
  AI_API_KEY: 'stand-in-key',
  AI_MODEL: 'stand-in-model',
  BRAZE_REST_ENDPOINT: standIns.brazeEndpoint,
  BRAZE_API_KEY: 'stand-in-key',
  BRAZE_CAMPAIGN_ID: 'stand-in-campaign',
  WEBHOOK_SECRET: secret,
  DASHBOARD_USERNAME: process.env.DASHBOARD_USERNAME ?? 'admin',
  DASHBOARD_PASSWORD: process.env.DASHBOARD_PASSWORD ?? 'demo-password',
  INGEST_PORT: ingestPort,
  // never a real deployment's Redis data: its own prefix on a local Redis (DEMO_REDIS_URL to change)
  REDIS_URL: process.env.DEMO_REDIS_URL ?? 'redis://127.0.0.1:6379',
  REDIS_PREFIX: 'bridge-demo',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  START_REDIS_URL_NAME: 'DEMO_REDIS_URL',
};
// the stack's lines go through show(), so they never land in the middle of what is being typed
const stack = spawn(process.execPath, [path.join(root, 'scripts/start.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
for (const stream of [stack.stdout, stack.stderr]) readline.createInterface({ input: stream }).on('line', show);
stack.on('exit', (code) => { void standIns.close(); process.exit(code ?? 0); });
let quitting = false;
const quit = () => {
  if (quitting) return;
  quitting = true;
  const typing = prompt;
  prompt = undefined; // the stack's last lines print without a prompt under them
  typing?.close();
  stack.kill('SIGTERM');
};
process.on('SIGINT', quit);

let ready = false;
for (let i = 0; i < 200 && !ready; i++) {
  ready = await fetch(`http://127.0.0.1:${ingestPort}/readyz`).then((r) => r.ok, () => false);
  if (!ready) await new Promise((r) => setTimeout(r, 100));
}
if (!ready) show(`  The bridge is not ready yet at http://127.0.0.1:${ingestPort}/readyz: is Redis reachable at DEMO_REDIS_URL (${env.REDIS_URL})?`);

// a message that gets no reply on purpose: its generate job completes with route 'silent'.
// The job can complete before its 202 arrives here, so both orders are matched.
const sent = new Map(); // job id -> text, until the job completes
const silentBeforeAnswer = new Set();
const noReply = (text) => show(`\x1b[33m  (no reply: "${text}" is an opt-out/opt-in keyword (SILENT_KEYWORDS); Braze handles it)\x1b[0m`);
const events = new QueueEvents('reply-generate', { connection: new Redis(env.REDIS_URL, { maxRetriesPerRequest: null }), prefix: env.REDIS_PREFIX });
events.on('error', () => undefined); // the stack's own lines say when Redis is away
events.on('completed', ({ jobId, returnvalue }) => {
  const text = sent.get(jobId);
  sent.delete(jobId);
  if (returnvalue?.route !== 'silent') return;
  if (text === undefined) silentBeforeAnswer.add(jobId);
  else noReply(text);
});
if (ready) await events.waitUntilReady();

console.log(`
  DEMO with stand-in AI and Braze (fake servers: the AI echoes you, nothing reaches WhatsApp).
  Dashboard: http://127.0.0.1:${process.env.DASHBOARD_PORT ?? 3001}/ (${env.DASHBOARD_USERNAME} / ${env.DASHBOARD_PASSWORD})
  Type a message and press Enter. Try STOP (no reply). /user <id> switches the sender, /quit stops.
`);

prompt = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: '' });
const setPrompt = () => prompt.setPrompt(`\x1b[36m[${user}]\x1b[0m > `);
setPrompt();
prompt.prompt();
prompt.on('line', async (line) => {
  const text = line.trim();
  if (text === '/quit') return quit();
  if (text.startsWith('/user ')) { user = text.slice(6).trim() || user; setPrompt(); return prompt.prompt(); }
  if (!text) return prompt.prompt();
  const res = await fetch(`http://127.0.0.1:${ingestPort}/webhooks/braze/whatsapp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Webhook-Secret': secret },
    body: JSON.stringify({ braze_id: `braze-${user}`, user_id: user, phone_number: '+15550000000', message: text }),
  }).catch((err) => ({ status: 0, json: async () => ({ error: err.message }) }));
  const body = await res.json();
  show(`  webhook answered ${res.status} ${JSON.stringify(body)}`);
  if (res.status === 202 && body.id) {
    if (silentBeforeAnswer.delete(body.id)) noReply(text);
    else sent.set(body.id, text);
  }
  return undefined;
});
prompt.on('close', quit);
