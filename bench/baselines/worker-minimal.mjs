// BASELINE (bench only): the minimal BullMQ worker. Takes the job the minimal ingest stored (the
// raw webhook body), calls the AI, then Braze, in one job. No ordering, history, routing, retries
// policy, metrics or logging. Same HTTP client (axios, keep-alive) and concurrency as the worker.
import http from 'node:http';
import { createRequire } from 'node:module';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const require = createRequire(new URL('../../services/worker/package.json', import.meta.url));
const axios = require('axios'); // the worker's own axios

const env = process.env;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const client = (baseURL, key) => axios.create({ baseURL, httpAgent: agent, headers: { Authorization: `Bearer ${key}` }, timeout: 30_000 });
const ai = client(env.AI_BASE_URL, env.AI_API_KEY);
const braze = client(env.BRAZE_REST_ENDPOINT, env.BRAZE_API_KEY);

const connection = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const worker = new Worker('reply-generate', async (job) => {
  const { user_id: userId, braze_id: brazeId, message } = job.data;
  const completion = await ai.post('/chat/completions', {
    model: env.AI_MODEL,
    messages: [{ role: 'system', content: 'You are a support agent.' }, { role: 'user', content: message }],
  });
  const reply = completion.data.choices[0].message.content;
  await braze.post('/campaigns/trigger/send', {
    campaign_id: env.BRAZE_CAMPAIGN_ID,
    recipients: [{ ...(userId ? { external_user_id: userId } : { braze_id: brazeId }), trigger_properties: { external_system_msg_body: reply } }],
  });
}, { connection, prefix: env.REDIS_PREFIX ?? 'bull', concurrency: Number(env.WORKER_CONCURRENCY ?? 20) });

await worker.waitUntilReady();
process.send?.('ready');
process.on('SIGTERM', async () => {
  await worker.close();
  connection.disconnect();
  process.exit(0);
});
