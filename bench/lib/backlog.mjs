// One worker-side run: a fresh Redis and stand-ins, n webhooks stored through an ingest while the
// queue is paused, then k worker processes started and the queue resumed; timed from the resume
// until the stand-in Braze has a reply for every message.
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { PREFIX } from './env.mjs';
import { preload, webhookBody } from './load.mjs';
import { cpuOf, rssOf, sampleRss, startIngest, startRedis, startWorker } from './procs.mjs';
import { startUpstreams } from './upstreams.mjs';

export const QUEUES = ['reply-generate', 'reply-send'];

/** Completed jobs kept per queue (BullMQ's completed sorted set). */
export async function completedCounts(redis) {
  const out = {};
  for (const q of QUEUES) out[q] = await redis.client.zcard(`${PREFIX}:${q}:completed`);
  return out;
}

/**
 * system: 'ours' (services/ingest + services/worker) or 'baseline' (bench/baselines minimal
 * ingest + minimal worker). Returns throughput, Braze request counts, AI call times (ms from
 * the resume), worker RSS and Redis bytes per stored message.
 */
export async function backlogRun({
  system, n, workers = 1, aiLatencyMs = 0, workerEnv = {}, ingestEnv = {}, tag = 'b',
  chars = 100, sampleMemory = false, jobTimes = false, timeoutMs = 60_000 + n * 20,
}) {
  const redis = await startRedis();
  const up = await startUpstreams({ aiLatencyMs });
  const connection = redis.client.duplicate();
  const queue = new Queue('reply-generate', { connection, prefix: PREFIX });
  const procs = [];
  try {
    await queue.pause();
    const memBefore = await redis.usedMemory();
    const ingest = await startIngest(system === 'ours' ? 'ours' : 'minimal', redis.url, ingestEnv);
    procs.push(ingest);
    const loaded = await preload(ingest.url, n, (i) => webhookBody(tag, i, i, chars));
    await ingest.stop();
    const memAfter = await redis.usedMemory();
    if (loaded.ok !== n) throw new Error(`only ${loaded.ok} of ${n} webhooks were accepted: ${JSON.stringify(loaded.statuses)} (log: ${ingest.logFile})`);

    const started = await Promise.all(Array.from({ length: workers }, () => startWorker(system === 'ours' ? 'ours' : 'minimal', {
      redisUrl: redis.url, aiBaseUrl: up.aiBaseUrl, brazeEndpoint: up.brazeEndpoint, env: workerEnv,
    })));
    procs.push(...started);
    const rssAtStart = started.map((w) => rssOf(w.pid).rss);
    const sampler = sampleMemory ? sampleRss(started.map((w) => w.pid)) : undefined;

    const cpu0 = { workers: started.map((w) => cpuOf(w.pid)), redis: cpuOf(redis.pid), bench: process.cpuUsage() };
    const t0 = performance.now();
    await queue.resume();
    const done = await up.waitForRecipients(n, timeoutMs);
    const arrivals = [...up.braze.arrivals.values()];
    const t1 = arrivals.length ? Math.max(...arrivals) : performance.now();
    const rss = sampler?.stop();
    const benchCpu = process.cpuUsage(cpu0.bench);
    const cpu = {
      workers: started.reduce((sum, w, i) => sum + cpuOf(w.pid) - cpu0.workers[i], 0),
      redis: cpuOf(redis.pid) - cpu0.redis,
      standIns: (benchCpu.user + benchCpu.system) / 1e6,
    };
    const seconds = (t1 - t0) / 1000;
    const result = {
      system, n, workers, done,
      delivered: up.braze.arrivals.size,
      seconds,
      rate: up.braze.arrivals.size / seconds,
      preloadRate: loaded.ok / loaded.seconds,
      preloadStatuses: loaded.statuses,
      brazeRequests: up.braze.requests,
      brazeRecipients: up.braze.recipients,
      duplicates: up.braze.duplicates,
      aiCalls: up.ai.times.length,
      aiTimes: up.ai.times.map((t) => t - t0),
      bytesPerMessage: (memAfter - memBefore) / n,
      cpu,
      rssAtStart,
      rss,
      logs: started.map((w) => w.logFile),
    };
    await Promise.all(started.map((w) => w.stop()));
    result.completed = await completedCounts(redis);
    if (jobTimes) {
      // when each generate job was moved to active, which is what BullMQ's limiter counts: the
      // "active" entries of the queue's events stream, whose ids are Redis server time (ms), the
      // clock the limiter key's PEXPIRE runs on
      const entries = await redis.client.xrange(`${PREFIX}:reply-generate:events`, '-', '+');
      result.activeAt = entries
        .filter(([, fields]) => fields[0] === 'event' && fields[1] === 'active')
        .map(([id]) => Number(id.split('-')[0]));
    }
    return result;
  } finally {
    await Promise.all(procs.map((p) => p.stop(3_000)));
    await queue.close().catch(() => undefined);
    connection.disconnect();
    await up.close();
    await redis.stop();
  }
}
