#!/usr/bin/env node
// `pnpm demo`: the whole bridge on this machine with STAND-IN (fake) AI and Braze servers, so no
// accounts are needed. Type a line to send it as a WhatsApp message; the reply the bridge sends
// to the stand-in Braze is printed back, and a line says so when a message gets no reply on
// purpose. It loads examples/conversation.yaml (keyword routes, a returns flow), runs live agents (the
// console at /agent, the agent API, signed events to a stand-in receiver) and the AI features (tools,
// voice notes, images, bursts). /help lists the commands.
// DEMO_REDIS_URL: the Redis to use (default redis://127.0.0.1:6379; started when nothing answers).
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { conversationIdFor, conversationKeys } from '../packages/shared/dist/index.js';
import { startStandIns } from './stand-ins.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const secret = 'demo-webhook-secret-not-for-production';
const ingestPort = process.env.INGEST_PORT ?? '3000';
const dashboardPort = process.env.DASHBOARD_PORT ?? '3001';
const agentToken = 'demo-agent-api-token-not-for-production';
const conversationFile = path.join(root, 'examples', 'conversation.yaml');
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
  onReply: ({ campaignId, recipient, triggerProperties }) => {
    const who = recipient.external_user_id ?? recipient.braze_id ?? recipient.user_alias?.alias_name;
    const { external_system_msg_body: text, ...more } = triggerProperties;
    const choices = Object.entries(more).filter(([k]) => /^choice_\d+$/.test(k)).map(([, v]) => v);
    show(`\x1b[32m[bridge → WhatsApp ${who} · campaign ${campaignId}]\x1b[0m ${text}${choices.length ? `  \x1b[2m[buttons: ${choices.join(' | ')}]\x1b[0m` : ''}`);
  },
  onTrack: ({ attributes, events }) => {
    const users = new Map();
    const entry = (id) => users.get(id) ?? users.set(id, { values: {}, events: [] }).get(id);
    for (const { external_id: id, braze_id: _b, ...values } of attributes) Object.assign(entry(id).values, values);
    for (const e of events) entry(e.external_id).events.push(e.name);
    for (const [id, { values, events: names }] of users) {
      show(`\x1b[35m[bridge → Braze profile ${id}]\x1b[0m \x1b[2m${JSON.stringify(values)}${names.length ? ` events: ${names.join(', ')}` : ''}\x1b[0m`);
    }
  },
});

/** Stands in for the agents' own system: the events the bridge signs and sends to AGENT_WEBHOOK_URL. */
const agentEvents = createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => { raw += c; });
  req.on('end', () => {
    res.writeHead(204).end();
    try {
      const { type, data } = JSON.parse(raw);
      const detail = data.message?.text ?? data.reason ?? '';
      show(`\x1b[34m[agent event ${type}]\x1b[0m \x1b[2m${String(detail).slice(0, 80)}\x1b[0m`);
    } catch { /* not ours */ }
  });
});
await new Promise((resolve) => agentEvents.listen(0, '127.0.0.1', resolve));

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
  // conversations: routes, a flow, the profile, the window
  CONVERSATION_FILE: conversationFile,
  BRAZE_SYNC_PROFILE: 'true',
  BRAZE_TEMPLATE_CAMPAIGN_ID: 'stand-in-template-campaign',
  BRAZE_AGENT_CAMPAIGN_ID: 'stand-in-agent-campaign',
  // live agents: the console, the API, signed events
  LIVE_AGENTS: 'true',
  AGENT_API_TOKEN: agentToken,
  AGENT_WEBHOOK_URL: `http://127.0.0.1:${agentEvents.address().port}/events`,
  AGENT_WEBHOOK_SECRET: 'whsec_ZGVtby1zaWduaW5nLXNlY3JldC1ub3QtZm9yLXByb2R1Y3Rpb24=',
  // the AI features: tools, voice notes, images, bursts
  AI_TOOLS: 'true',
  BRAZE_WRITABLE_ATTRIBUTES: 'plan,city,favorite_color',
  BRAZE_LOGGABLE_EVENTS: 'asked_about_order',
  AI_TRANSCRIBE: 'true',
  AI_VISION: 'true',
  MEDIA_ALLOW_PRIVATE: 'true',
  COALESCE_WINDOW_MS: '1000',
};
// the stack's lines go through show(), so they never land in the middle of what is being typed
const stack = spawn(process.execPath, [path.join(root, 'scripts/start.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
for (const stream of [stack.stdout, stack.stderr]) readline.createInterface({ input: stream }).on('line', show);
stack.on('exit', (code) => { void standIns.close(); agentEvents.close(); process.exit(code ?? 0); });
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
const silentBeforeAnswer = new Map(); // job id -> why, when the job completed before its 202 arrived
const WHY = {
  silent: (text) => `"${text}" is an opt-out/opt-in keyword (SILENT_KEYWORDS); Braze handles it`,
  ignore: () => 'the conversation file\'s route says ignore',
  agent: () => 'a person has this conversation: answer in the console or with /reply',
};
const whyNoReply = (result) => (result?.route === 'silent' ? WHY.silent : result?.silent === 'ignore' ? WHY.ignore : result?.toAgents ? WHY.agent : undefined);
const noReply = (text, why) => show(`\x1b[33m  (no reply: ${why(text)})\x1b[0m`);
const events = new QueueEvents('reply-generate', { connection: new Redis(env.REDIS_URL, { maxRetriesPerRequest: null }), prefix: env.REDIS_PREFIX });
events.on('error', () => undefined); // the stack's own lines say when Redis is away
events.on('completed', ({ jobId, returnvalue }) => {
  const text = sent.get(jobId);
  sent.delete(jobId);
  const why = whyNoReply(returnvalue);
  if (!why) return;
  if (text === undefined) silentBeforeAnswer.set(jobId, why);
  else noReply(text, why);
});
if (ready) await events.waitUntilReady();

const HELP = `
  Try:  hours · RETURN (a flow: then a bad order number, 1234567, then 2) · STOP or PARAR (no reply)
        AGENT (a person takes over: answer in the console or with /reply) · hello
  /reply <text>   answer as an agent          /handoff, /release   give the user to a person, or back
  /later          the customer's last message becomes 25 h old (the next agent reply uses the template campaign)
  /voice <words>  a voice note                /photo [caption]     an image
  /burst a | b    quick messages, one reply   /tool set_user_attributes {"attributes":{"plan":"gold"}}
  /user <id>      switch the sender           /help, /quit`;
console.log(`
  DEMO with stand-in AI and Braze (fake servers: the AI echoes you, nothing reaches WhatsApp).
  Dashboard:      http://127.0.0.1:${dashboardPort}/ (${env.DASHBOARD_USERNAME} / ${env.DASHBOARD_PASSWORD})
  Agent console:  http://127.0.0.1:${dashboardPort}/agent (same login): open it in a second window to answer as a person
  Conversation file: examples/conversation.yaml${HELP}
`);

const agentApi = (route, body) => fetch(`http://127.0.0.1:${ingestPort}/agent/${route}`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${agentToken}` },
  body: JSON.stringify({ user_id: user, ...body }),
}).then(async (r) => show(`  agent API ${route} answered ${r.status} ${await r.text()}`), (err) => show(`  agent API ${route} failed: ${err.message}`));

const webhook = async (fields) => {
  const res = await fetch(`http://127.0.0.1:${ingestPort}/webhooks/braze/whatsapp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Webhook-Secret': secret },
    // message last, as the webhook template has it
    body: JSON.stringify({ braze_id: `braze-${user}`, user_id: user, phone_number: '+15550000000', profile_name: 'Demo Customer', media_urls: fields.media_urls ?? [], message: fields.message }),
  }).catch((err) => ({ status: 0, json: async () => ({ error: err.message }) }));
  const body = await res.json();
  show(`  webhook answered ${res.status} ${JSON.stringify(body)}`);
  if (res.status === 202 && body.id) {
    const why = silentBeforeAnswer.get(body.id);
    if (why) { silentBeforeAnswer.delete(body.id); noReply(fields.message, why); } else sent.set(body.id, fields.message);
  }
};

/** /later: as if a day had passed since the customer's last message (the 24-hour window closes). */
async function later() {
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 });
  const key = conversationKeys(env.REDIS_PREFIX, conversationIdFor({ external_user_id: user })).state;
  await redis.hset(key, 'last_in', Date.now() - 25 * 3_600_000).finally(() => redis.disconnect());
  show(`  the last message of ${user} is now 25 hours old: the window is closed; /reply goes through the template campaign`);
}

prompt = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: '' });
const setPrompt = () => prompt.setPrompt(`\x1b[36m[${user}]\x1b[0m > `);
setPrompt();
prompt.prompt();
prompt.on('line', async (line) => {
  const text = line.trim();
  const [command, ...rest] = text.split(' ');
  const arg = rest.join(' ').trim();
  if (command === '/quit') return quit();
  if (command === '/help') return show(HELP);
  if (command === '/user') { user = arg || user; setPrompt(); return prompt.prompt(); }
  if (command === '/reply') return arg ? agentApi('messages', { message: arg, agent_name: 'demo-agent' }) : show('  /reply <text>');
  if (command === '/handoff') return agentApi('handoff', { reason: 'demo', agent_name: 'demo-agent' });
  if (command === '/release') return agentApi('release', { agent_name: 'demo-agent' });
  if (command === '/later') return later();
  if (command === '/voice') return webhook({ message: '', media_urls: [standIns.mediaUrl('voice', arg || 'Olá, cadê meu pedido?')] });
  if (command === '/photo') return webhook({ message: arg, media_urls: [standIns.mediaUrl('photo')] });
  if (command === '/burst') { for (const part of arg.split('|').map((t) => t.trim()).filter(Boolean)) await webhook({ message: part }); return undefined; }
  if (!text) return prompt.prompt();
  return webhook({ message: text });
});
prompt.on('close', quit);
