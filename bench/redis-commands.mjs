#!/usr/bin/env node
// Redis commands per message that the services send (MONITOR, not counting commands run inside
// Lua scripts), ingest and worker apart. One ingest and one worker process, the bench's stand-in
// upstreams, a redis-server of its own.
//   node bench/redis-commands.mjs [messages=200] [users=messages] [--profile] [--tools]   (after pnpm build)
//   --profile  with BRAZE_SYNC_PROFILE=true
//   --tools    with AI_TOOLS=true as well: the AI stand-in makes one tool round per message
import fs from 'node:fs';
import http from 'node:http';
import { poll, sleep } from './lib/env.mjs';
import { postWebhook, webhookBody } from './lib/load.mjs';
import { keepLogDir } from './lib/procs.mjs';
import { withStack } from './lib/stack.mjs';

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const [messages, users] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(messages ?? 200);
const USERS = Number(users ?? N);
const PROFILE = { BRAZE_SYNC_PROFILE: 'true', BRAZE_WRITABLE_ATTRIBUTES: 'plan' };
const ENV = {
  METRICS_QUEUE_DEPTH: 'false',
  ...(flags.includes('--profile') || flags.includes('--tools') ? PROFILE : {}),
  ...(flags.includes('--tools') ? { AI_TOOLS: 'true' } : {}),
};
const TIMEOUT_MS = 60_000 + N * 20;

/** Commands per message, and the eight most sent with theirs. */
function perMessage(commands) {
  const by = {};
  for (const c of commands) by[c] = (by[c] ?? 0) + 1;
  const top = Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([c, n]) => `${c} ${(n / N).toFixed(2)}`).join(', ');
  return { perMessage: (commands.length / N).toFixed(2), top };
}

await withStack({}, async ({ redis, up, spawnIngest, spawnWorker }) => {
  const ingest = await spawnIngest('ours', ENV);
  // from here on, every command a client sends (the ingest's start-up is over)
  const monitor = await redis.client.monitor();
  const seen = [];
  monitor.on('monitor', (_time, args, source) => { if (source !== 'lua') seen.push(String(args[0]).toLowerCase()); });
  const agent = new http.Agent({ keepAlive: true });
  try {
    for (let i = 0; i < N; i++) {
      const status = await postWebhook(ingest.url, webhookBody('rc', i % USERS, i), agent);
      if (status !== 202) throw new Error(`webhook answered ${status} (log: ${ingest.logFile})`);
    }
    await sleep(200);
    const workerFrom = seen.length;
    const ingestCount = perMessage(seen.slice(0, workerFrom));
    const worker = await spawnWorker('ours', ENV);
    // every message is answered, also when a user sends several: count all recipients, not distinct ones
    if (!(await poll(() => up.braze.recipients >= N, TIMEOUT_MS))) {
      throw new Error(`${up.braze.recipients} of ${N} replies reached the stand-in Braze in ${TIMEOUT_MS / 1000} s (log: ${worker.logFile})`);
    }
    await sleep(300);
    const workerCount = perMessage(seen.slice(workerFrom));
    const mode = ENV.AI_TOOLS ? 'AI_TOOLS=true (one tool round per message), BRAZE_SYNC_PROFILE=true' : ENV.BRAZE_SYNC_PROFILE ? 'BRAZE_SYNC_PROFILE=true' : 'defaults';
    console.log(`${N} messages from ${USERS} users, ${mode}; ${up.ai.times.length} AI calls; Redis commands per message (MONITOR, script internals not counted):`);
    console.log(`  ingest ${ingestCount.perMessage}  (${ingestCount.top})`);
    console.log(`  worker ${workerCount.perMessage}  (${workerCount.top})`);
  } finally {
    agent.destroy();
    monitor.disconnect();
  }
}).catch((err) => {
  keepLogDir(); // the error names the log
  throw err;
});
