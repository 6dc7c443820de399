// BASELINE (bench only): bare Express 5 answering 202 to the webhook route. No parsing, no Redis.
// For scale: the most an Express process does on this machine.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../services/ingest/package.json', import.meta.url));
const express = require('express'); // the ingest's own Express

const app = express();
app.post('/webhooks/braze/whatsapp', (_req, res) => {
  res.status(202).json({ status: 'queued' });
});
app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
const server = app.listen(Number(process.env.INGEST_PORT ?? 3000), '127.0.0.1');
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
