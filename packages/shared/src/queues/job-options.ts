import type { DefaultJobOptions } from 'bullmq';
import { AppError } from '../errors/app-error';

export const BACKOFF_TYPE = 'bridge';
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 5 * 60_000;
const MAX_REQUESTED_DELAY_MS = 60 * 60_000;

export interface JobRetention {
  attempts: number;
  keepCompleted: number;
  /** the longest a completed job is kept (CONVERSATION_TTL_HOURS) */
  keepCompletedSeconds: number;
  keepFailedSeconds: number;
}

/**
 * Shared by producer and consumer. Failed jobs are kept (they are the dead-letter list the
 * dashboard shows); completed jobs are trimmed so Redis memory stays flat. BullMQ applies the
 * ages when another job of the queue finishes; the worker's retention sweep applies them when none does.
 */
export function defaultJobOptions({ attempts, keepCompleted, keepCompletedSeconds, keepFailedSeconds }: JobRetention): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { count: keepCompleted, age: keepCompletedSeconds },
    removeOnFail: { age: keepFailedSeconds },
  };
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random) from a 1 s base, capped at
 * 5 min; a wait the server asked for (Retry-After, X-RateLimit-Reset) is a floor, up to 1 h.
 */
export function computeBackoff(attemptsMade: number, err?: Error, random = Math.random): number {
  const exp = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.round(exp / 2 + random() * (exp / 2));
  const asked = err instanceof AppError ? err.retryAfterMs : undefined;
  return asked === undefined ? jittered : Math.max(jittered, Math.min(asked, MAX_REQUESTED_DELAY_MS));
}
