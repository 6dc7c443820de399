#!/usr/bin/env node
// Redis commands per message that the services send (MONITOR, not counting commands run inside
// Lua scripts), ingest and worker apart. One ingest and one worker process, stand-in upstreams,
// a redis-server of its own.
//   node bench/redis-commands.mjs [messages=200] [users=messages]   (after pnpm build)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startStandIns } from '../scripts/stand-ins.mjs';
import { ROOT as root, freePort, sleep, startRedisServer } from './lib/env.mjs';

const N = Number(process.argv[2] ?? 200);
const USERS = Number(process.argv[3] ?? N);

const redis = await startRedisServer();
const port = redis.port;
let replies = 0;
const standIns = await startStandIns({ aiPort: 0, brazePort: 0, onReply: () => { replies++; }, onCompletion: () => {} });
const [ingestPort, workerPort] = [await freePort(), await freePort()];
const env = {
  PATH: process.env.PATH, REDIS_URL: `redis://127.0.0.1:${port}`, WEBHOOK_SECRET: 'x'.repeat(20), AI_BASE_URL: standIns.aiBaseUrl,
  AI_API_KEY: 'k', AI_MODEL: 'm', BRAZE_REST_ENDPOINT: standIns.brazeEndpoint, BRAZE_API_KEY: 'k', BRAZE_CAMPAIGN_ID: 'c',
  LOG_LEVEL: 'warn', INGEST_PORT: String(ingestPort), WORKER_PORT: String(workerPort), METRICS_QUEUE_DEPTH: 'false',
};
const ingest = spawn(process.execPath, [path.join(root, 'services/ingest/dist/main.js')], { env, stdio: 'ignore' });
await sleep(800);

const monitor = spawn('redis-cli', ['-p', String(port), 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
const lines = [];
let partial = '';
monitor.stdout.on('data', (c) => { const l = (partial + c).split('\n'); partial = l.pop(); lines.push(...l); });
const count = (from, to = lines.length) => {
  const by = {};
  for (const l of lines.slice(from, to)) {
    if (l.includes(' lua]') || !l.includes('"')) continue;
    const c = /"(\w+)"/.exec(l)[1].toLowerCase();
    by[c] = (by[c] ?? 0) + 1;
  }
  const total = Object.values(by).reduce((a, b) => a + b, 0);
  const top = Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([c, n]) => `${c} ${(n / N).toFixed(2)}`).join(', ');
  return { perMessage: (total / N).toFixed(2), top };
};
await sleep(200);
const before = lines.length;
for (let i = 0; i < N; i++) {
  const res = await fetch(`http://127.0.0.1:${ingestPort}/webhooks/braze/whatsapp`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-secret': 'x'.repeat(20) },
    body: JSON.stringify({ braze_id: `b${i}`, user_id: `u${i % USERS}`, phone_number: '+15550000000', message: `hello ${i}` }),
  });
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
}
await sleep(200);
const ingestCount = count(before);
const workerFrom = lines.length;
const worker = spawn(process.execPath, [path.join(root, 'services/worker/dist/main.js')], { env, stdio: 'ignore' });
while (replies < N) await sleep(50);
await sleep(300);
const workerCount = count(workerFrom);
console.log(`${N} messages from ${USERS} users; Redis commands per message (MONITOR, script internals not counted):`);
console.log(`  ingest ${ingestCount.perMessage}  (${ingestCount.top})`);
console.log(`  worker ${workerCount.perMessage}  (${workerCount.top})`);
for (const p of [monitor, ingest, worker]) p.kill();
await redis.stop();
await standIns.close();
