import { Worker, type Job, type Processor, type WorkerOptions } from 'bullmq';
import { computeBackoff, logQueueErrors, type Logger, type RedisClient } from '@bridge/shared';
import type { WorkerMetrics } from './metrics';
import { withErrorEdge, type FinalFailureHandler } from './processors/job-edge';

export interface StageProcessor {
  process: (job: Job, token?: string) => Promise<unknown>;
  onFinalFailure: FinalFailureHandler;
}

export interface WorkerSettings {
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
  log: Logger;
  metrics: WorkerMetrics;
}

const heldUntil = new WeakMap<Worker, number>();
const HOLD_SLACK_MS = 250;

/**
 * Holds a queue for every worker process (BullMQ's shared limiter key), e.g. until an upstream's
 * budget resets. A hold already covering the wait is not set again (a batch answered 429 as a
 * whole reaches here once per reply).
 */
export async function holdQueue(worker: Worker, metrics: WorkerMetrics, ms: number): Promise<void> {
  const until = Date.now() + ms;
  // replies of one batch fail a few ms apart: a hold ending within HOLD_SLACK_MS of this one covers it
  if (ms <= 0 || until <= (heldUntil.get(worker) ?? 0) + HOLD_SLACK_MS) return;
  heldUntil.set(worker, until);
  metrics.rateLimitPauses.inc({ queue: worker.name });
  await worker.rateLimit(ms);
}

export interface QueueSettings {
  concurrency?: number;
  /** a shared rate limit; without one, a limit nothing reaches, so the queue can still be held on a 429 */
  limiter?: WorkerOptions['limiter'];
}

const NO_LIMIT = { max: Number.MAX_SAFE_INTEGER, duration: 1_000 };

/**
 * One BullMQ Worker for a queue. The lock is renewed while a job runs, so a short lock only
 * shortens how long a killed worker's job waits. BullMQ moves a job to wait on the second stalled
 * check that finds its lock gone, so another worker takes it over after at most
 * lockDuration + 2 × stalledInterval: with the interval at half the lock, 2 × WORKER_LOCK_DURATION_MS.
 */
export function startWorker(queueName: string, stage: StageProcessor, settings: WorkerSettings, queue: QueueSettings = {}): Worker {
  const { log, metrics } = settings;
  const edge = withErrorEdge(stage.process, stage.onFinalFailure, log, (ms) => holdQueue(worker, metrics, ms));
  const processor: Processor = async (job, token) => {
    const end = metrics.jobSeconds.startTimer({ queue: queueName });
    try {
      return await edge(job, token);
    } finally {
      end();
    }
  };
  const worker = new Worker(queueName, processor, {
    connection: settings.connection,
    prefix: settings.prefix,
    concurrency: queue.concurrency ?? settings.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: Math.round(settings.lockDurationMs / 2),
    maxStalledCount: 2,
    limiter: queue.limiter ?? NO_LIMIT,
    settings: { backoffStrategy: (attemptsMade, _type, err) => computeBackoff(attemptsMade, err) },
  });
  worker.on('completed', (job) => {
    metrics.jobs.inc({ queue: queueName, outcome: 'completed' });
    log.info('job completed', { queue: queueName, jobId: job.id, attempt: job.attemptsMade, ms: job.finishedOn && job.processedOn ? job.finishedOn - job.processedOn : undefined });
  });
  worker.on('failed', (job, err) => {
    const final = !job || Boolean(job.finishedOn) || err.name === 'UnrecoverableError';
    metrics.jobs.inc({ queue: queueName, outcome: final ? 'failed' : 'retry' });
  });
  logQueueErrors(worker, log, 'worker error', { queue: queueName });
  return worker;
}
