import { QueueEvents, type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE, sendJobIdFor } from '@bridge/shared';
import { loadConfig as loadIngestConfig } from '../../services/ingest/src/config';
import { createIngestApp } from '../../services/ingest/src/ingest-app';
import { loadConfig as loadWorkerConfig } from '../../services/worker/src/config';
import { startWorkerApp, type WorkerOptions } from '../../services/worker/src/worker-app';
import { captureLogger } from './capture-logger';
import { ingestEnv, testRedisUrl, uniquePrefix, workerEnv } from './test-env';
import { brazeOk, echoAi, startStandIn } from './stand-in-server';
import { buildWebhookBody, postWebhook } from './webhook';
import { eventually } from './service-process';

/**
 * The whole bridge in one test process: the real ingest app (driven with supertest), the real
 * worker on a real Redis under a prefix of its own, and stand-in AI and Braze servers.
 */
export async function startPipeline(env: Record<string, string> = {}, options: { clock?: () => number; ingestClock?: () => number; ingestEnv?: Record<string, string> } & WorkerOptions = {}) {
  const prefix = uniquePrefix();
  const ai = await startStandIn(echoAi);
  const braze = await startStandIn(brazeOk);
  const logs = captureLogger('warn');
  const ingestExtra = { JOB_ATTEMPTS: env.JOB_ATTEMPTS ?? '8', ...(env.UNKNOWN_SENDER_RECIPIENT ? { UNKNOWN_SENDER_RECIPIENT: env.UNKNOWN_SENDER_RECIPIENT } : {}), ...options.ingestEnv };
  const ingest = createIngestApp(loadIngestConfig(ingestEnv(testRedisUrl(), prefix, ingestExtra)), logs.log, { clock: options.ingestClock ?? options.clock });
  const targets = { redisUrl: testRedisUrl(), prefix, aiUrl: `${ai.url}/v1`, brazeUrl: braze.url };
  const worker = startWorkerApp(loadWorkerConfig(workerEnv(targets, env)), logs.log, options);
  const eventConnections = [0, 1, 2, 3, 4].map(() => new Redis(testRedisUrl(), { maxRetriesPerRequest: null }));
  const events = {
    generate: new QueueEvents(QUEUE.generate, { connection: eventConnections[0]!, prefix }),
    send: new QueueEvents(QUEUE.send, { connection: eventConnections[1]!, prefix }),
    profile: new QueueEvents(QUEUE.profile, { connection: eventConnections[2]!, prefix }),
    agentEvents: new QueueEvents(QUEUE.agentEvents, { connection: eventConnections[3]!, prefix }),
    chatwoot: new QueueEvents(QUEUE.chatwootInbound, { connection: eventConnections[4]!, prefix }),
  };
  const queueOf = { generate: worker.generateQueue, send: worker.sendQueue, profile: worker.profileQueue, agentEvents: worker.eventsQueue, chatwoot: worker.chatwootQueue };
  await Promise.all([...Object.values(events).map((e) => e.waitUntilReady()), ingest.queue.waitUntilReady()]);

  /** posts a webhook (expects 202) and returns the generate job's id */
  async function post(overrides: Record<string, unknown> = {}): Promise<string> {
    const res = await postWebhook(ingest.app, buildWebhookBody(overrides));
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  }

  /** Resolves with the job's result or rejects with its failure reason. */
  async function finished(queue: keyof typeof events, jobId: string): Promise<unknown> {
    const q: Queue | undefined = queueOf[queue];
    if (!q) throw new Error(`the worker has no ${queue} queue (CHATWOOT_URL unset?)`);
    // the send job is added by the generate job: it has no event of its own to await until it exists
    const job = await eventually(() => q.getJob(jobId), 20_000, `job ${jobId} in ${q.name}`);
    // each waiting job listens for the queue's 'closing'; tests wait on dozens at once
    q.setMaxListeners(0);
    return job.waitUntilFinished(events[queue]);
  }

  return {
    prefix, ai, braze, worker, ingest, logs, post, finished,
    /** posts a webhook and waits until its reply's send job has finished (rejects if it failed); returns the generate job's id */
    async replied(overrides: Record<string, unknown> = {}): Promise<string> {
      const id = await post(overrides);
      await finished('send', sendJobIdFor(id));
      return id;
    },
    /** a second worker process's worth of workers on the same Redis and prefix */
    startExtraWorker: (extra: Record<string, string> = {}) => startWorkerApp(loadWorkerConfig(workerEnv(targets, { ...env, ...extra })), logs.log, options),
    async stop() {
      for (const q of [worker.generateQueue, worker.sendQueue, worker.profileQueue, worker.eventsQueue, worker.chatwootQueue]) await q?.obliterate({ force: true }).catch(() => undefined);
      await worker.close();
      await ingest.close();
      await Promise.all([...Object.values(events).map((e) => e.close()), ai.close(), braze.close()]);
      for (const c of eventConnections) c.disconnect();
    },
  };
}
export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
