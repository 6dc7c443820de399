import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { AppError, ValidationError, type Logger } from '@bridge/shared';
import type { z } from 'zod';

export type FinalFailureHandler = (job: Job, err: AppError) => Promise<void>;

/** Job data is validated on dequeue too; data that fails its schema can never succeed. */
export function parseJobData<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new ValidationError('INVALID_JOB_DATA', `Job data does not match its schema: ${result.error.issues.map((i) => i.path.join('.') || 'data').join(', ')}`);
  }
  return result.data;
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // unknown errors are bugs or blips: retry them within the attempts, and keep the message
  return new AppError('UNEXPECTED', message, { retryable: true, cause: err });
}

/** How long a queue holds when an upstream answered 429 without saying how long. */
const DEFAULT_RATE_LIMIT_PAUSE_MS = 5_000;

/**
 * The worker's error edge. A 429 holds the whole queue (every worker) for the wait the upstream
 * asked for, and puts the job back without using an attempt. Permanent errors become
 * UnrecoverableError (no more attempts, the reason shows in the dashboard); on the last attempt
 * the processor's final-failure step runs before the job moves to failed. Retryable errors keep
 * their retryAfterMs for the backoff.
 */
export function withErrorEdge(
  processor: (job: Job, token?: string) => Promise<unknown>,
  onFinalFailure: FinalFailureHandler,
  log: Logger,
  pauseQueue: (ms: number) => Promise<void>,
) {
  return async (job: Job, token?: string) => {
    try {
      return await processor(job, token);
    } catch (raw) {
      if (raw instanceof DelayedError) throw raw;
      const err = toAppError(raw);
      if (err.code === 'UPSTREAM_RATE_LIMITED') {
        const ms = err.retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS;
        log.warn('upstream rate limit: holding the queue', { queue: job.queueName, jobId: job.id, ms });
        await pauseQueue(ms);
        throw Worker.RateLimitError();
      }
      const attempts = job.opts.attempts ?? 1;
      const final = !err.retryable || job.attemptsMade + 1 >= attempts;
      const meta = { queue: job.queueName, jobId: job.id, attempt: job.attemptsMade + 1, attempts, code: err.code, error: err.message };
      if (final) {
        log.error('job failed for good', meta);
        await onFinalFailure(job, err).catch((e: Error) => log.error('final-failure step failed', { ...meta, step: e.message }));
      } else {
        log.warn('job failed, will retry', { ...meta, retryAfterMs: err.retryAfterMs });
      }
      // the reason the dashboard shows starts with the code, whichever way the job ends
      if (!err.retryable) throw new UnrecoverableError(`${err.code}: ${err.message}`);
      if (!err.message.startsWith(`${err.code}:`)) err.message = `${err.code}: ${err.message}`;
      throw err;
    }
  };
}
