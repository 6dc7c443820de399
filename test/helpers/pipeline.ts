import request from 'supertest';
import { QueueEvents, type Job, type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE } from '@bridge/shared';
import { loadConfig as loadIngestConfig } from '../../services/ingest/src/config';
import { createIngestApp, type IngestApp } from '../../services/ingest/src/ingest-app';
import { WEBHOOK_PATH } from '../../services/ingest/src/app';
import { loadConfig as loadWorkerConfig } from '../../services/worker/src/config';
import { startWorkerApp, type WorkerApp } from '../../services/worker/src/worker-app';
import { captureLogger } from './capture-logger';
import { WEBHOOK_SECRET, testRedisUrl, uniquePrefix, workerEnv } from './test-env';
import { brazeOk, echoAi, startStandIn, type StandIn } from './stand-in-server';
import { buildWebhookBody } from './webhook';

/**
 * The whole bridge in one test process: the real ingest app (driven with supertest), the real
 * worker on a real Redis under a prefix of its own, and stand-in AI and Braze servers.
 */
export async function startPipeline(env: Record<string, string> = {}) {
  const prefix = uniquePrefix();
  const ai = await startStandIn(echoAi);
  const braze = await startStandIn(brazeOk);
  const logs = captureLogger('warn');
  const ingest: IngestApp = createIngestApp(loadIngestConfig({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, WEBHOOK_SECRET, JOB_ATTEMPTS: env.JOB_ATTEMPTS ?? '8' }), logs.log);
  const config = loadWorkerConfig(workerEnv(prefix, `${ai.url}/v1`, braze.url, env));
  let worker: WorkerApp = startWorkerApp(config, logs.log);
  const eventConnections = [0, 1].map(() => new Redis(testRedisUrl(), { maxRetriesPerRequest: null }));
  const events = {
    generate: new QueueEvents(QUEUE.generate, { connection: eventConnections[0]!, prefix }),
    send: new QueueEvents(QUEUE.send, { connection: eventConnections[1]!, prefix }),
  };
  await Promise.all([events.generate.waitUntilReady(), events.send.waitUntilReady(), ingest.queue.waitUntilReady()]);

  async function post(overrides: Record<string, unknown> = {}): Promise<string> {
    const res = await request(ingest.app).post(WEBHOOK_PATH).set('X-Webhook-Secret', WEBHOOK_SECRET)
      .set('Content-Type', 'application/json').send(JSON.stringify(buildWebhookBody(overrides)));
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  }

  /** Resolves with the job's result or rejects with its failure reason. */
  async function finished(queue: 'generate' | 'send', jobId: string): Promise<unknown> {
    const q: Queue = queue === 'generate' ? worker.generateQueue : worker.sendQueue;
    const job = await waitForJob(q, jobId);
    // each waiting job listens for the queue's 'closing'; tests wait on dozens at once
    q.setMaxListeners(0);
    return job.waitUntilFinished(events[queue]);
  }

  return {
    prefix, ai, braze, logs, ingest, config, events, post, finished,
    get worker() { return worker; },
    /** a second worker process's worth of workers on the same Redis and prefix */
    startExtraWorker: (extra: Record<string, string> = {}) => startWorkerApp(loadWorkerConfig(workerEnv(prefix, `${ai.url}/v1`, braze.url, { ...env, ...extra })), logs.log),
    async restartWorker() { await worker.close(); worker = startWorkerApp(config, logs.log); },
    async stop() {
      await worker.generateQueue.obliterate({ force: true }).catch(() => undefined);
      await worker.sendQueue.obliterate({ force: true }).catch(() => undefined);
      await worker.close();
      await ingest.close();
      await Promise.all([events.generate.close(), events.send.close(), ai.close(), braze.close()]);
      for (const c of eventConnections) c.disconnect();
    },
  };
}
export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/** A job appears in its queue (the send job is added by the generate job): wait on queue events, not sleeps. */
async function waitForJob(queue: Queue, jobId: string, timeoutMs = 20_000): Promise<Job> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = await queue.getJob(jobId);
    if (job) return job;
    if (Date.now() > until) throw new Error(`job ${jobId} never appeared in ${queue.name}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
