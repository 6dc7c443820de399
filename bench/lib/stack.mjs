// A stack under test: a fresh redis-server and stand-in upstreams, with ingest and worker processes
// started against them, all stopped again however the run ends.
import { Queue } from 'bullmq';
import { PREFIX } from './env.mjs';
import { startIngest, startRedis, startWorker } from './procs.mjs';
import { startUpstreams } from './upstreams.mjs';

/**
 * Runs use({ redis, up, queues, spawnIngest, spawnWorker }) and returns what it returns. queues:
 * a BullMQ Queue for each of queueNames. spawnIngest(kind, env) and spawnWorker(kind, env) start
 * processes (startIngest, startWorker) wired to this Redis and these stand-ins.
 */
export async function withStack({ aiLatencyMs = 0, queueNames = [] }, use) {
  const redis = await startRedis();
  const up = await startUpstreams({ aiLatencyMs });
  const connection = queueNames.length ? redis.client.duplicate() : undefined;
  const queues = queueNames.map((name) => new Queue(name, { connection, prefix: PREFIX }));
  const procs = [];
  const started = (proc) => { procs.push(proc); return proc; };
  try {
    return await use({
      redis,
      up,
      queues,
      spawnIngest: async (kind, env) => started(await startIngest(kind, redis.url, env)),
      spawnWorker: async (kind, env) => started(await startWorker(kind, { redisUrl: redis.url, aiBaseUrl: up.aiBaseUrl, brazeEndpoint: up.brazeEndpoint, env })),
    });
  } finally {
    await Promise.all(procs.map((p) => p.stop(3_000)));
    for (const q of queues) await q.close().catch(() => undefined);
    connection?.disconnect();
    await up.close();
    await redis.stop();
  }
}
