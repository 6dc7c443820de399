// BASELINE (bench only): the minimal durable ingest. The same Express with express.json and one
// queue.add per request, answered 202 once Redis has the job; nothing else (no auth, validation,
// ordering, dedupe, metrics or logging).
import { createRequire } from 'node:module';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const require = createRequire(new URL('../../services/ingest/package.json', import.meta.url));
const express = require('express'); // the ingest's own Express

const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const queue = new Queue('reply-generate', { connection, prefix: process.env.REDIS_PREFIX ?? 'bull' });

const app = express();
app.post('/webhooks/braze/whatsapp', express.json(), async (req, res) => {
  const job = await queue.add('inbound', req.body);
  res.status(202).json({ status: 'queued', id: job.id });
});
app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
const server = app.listen(Number(process.env.INGEST_PORT ?? 3000), '127.0.0.1');
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(async () => {
  await queue.close();
  connection.disconnect();
  process.exit(0);
}));
