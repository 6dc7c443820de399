// One worker-side run: a fresh Redis and stand-ins, n webhooks stored through an ingest while the
// queue is paused, then k worker processes started and the queue resumed; timed from the resume
// until the stand-in Braze has a reply for every message.
import { performance } from 'node:perf_hooks';
import { PREFIX } from './env.mjs';
import { preload, webhookBody } from './load.mjs';
import { cpuOf, rssOf, sampleRss } from './procs.mjs';
import { withStack } from './stack.mjs';

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
  system, n, workers = 1, aiLatencyMs = 0, workerEnv = {}, tag = 'b',
  sampleMemory = false, jobTimes = false, timeoutMs = 60_000 + n * 20,
}) {
  return withStack({ aiLatencyMs, queueNames: ['reply-generate'] }, async ({ redis, up, queues: [queue], spawnIngest, spawnWorker }) => {
    await queue.pause();
    const memBefore = await redis.usedMemory();
    const ingest = await spawnIngest(system);
    const loaded = await preload(ingest.url, n, (i) => webhookBody(tag, i));
    await ingest.stop();
    const memAfter = await redis.usedMemory();
    if (loaded.ok !== n) throw new Error(`only ${loaded.ok} of ${n} webhooks were accepted: ${JSON.stringify(loaded.statuses)} (log: ${ingest.logFile})`);

    const started = await Promise.all(Array.from({ length: workers }, () => spawnWorker(system, workerEnv)));
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
      preloadStatuses: loaded.statuses,
      brazeRequests: up.braze.requests,
      brazeRecipients: up.braze.recipients,
      duplicates: up.braze.duplicates,
      aiCalls: up.ai.times.length,
      toolRounds: up.ai.toolRounds,
      brazeTracks: up.braze.tracks,
      aiTimes: up.ai.times.map((t) => t - t0),
      bytesPerMessage: (memAfter - memBefore) / n,
      cpu,
      rssAtStart,
      rss,
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
  });
}
