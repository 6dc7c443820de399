import type { Queue } from 'bullmq';
import type { JobRetention, Logger } from '@bridge/shared';
import type { FinalFailureHandler } from '../processors/job-edge';

/** Jobs removed per queue, state and call: a sweep that finds more calls again. */
const CLEAN_BATCH = 1_000;

/** How often the sweep runs: often enough for a short CONVERSATION_TTL_HOURS, at most once a minute. */
export const retentionSweepEveryMs = (retention: JobRetention) => Math.max(5_000, Math.min(60_000, (retention.keepCompletedSeconds * 1000) / 4));

/**
 * Finished jobs hold the customer's message and identity. BullMQ removes old ones only when another
 * job of the same queue finishes, so with no traffic they would stay: this sweep (a maintenance job)
 * removes completed jobs older than CONVERSATION_TTL_HOURS and failed ones older than
 * JOB_KEEP_FAILED_DAYS (at most the same), in every queue. Jobs not yet finished are work to do and stay.
 */
export function createJobRetention({ queues, retention, log }: { queues: Queue[]; retention: JobRetention; log: Logger }) {
  async function clean(queue: Queue, graceMs: number, state: 'completed' | 'failed'): Promise<number> {
    let removed = 0;
    for (;;) {
      const ids = await queue.clean(graceMs, CLEAN_BATCH, state);
      removed += ids.length;
      if (ids.length < CLEAN_BATCH) return removed;
    }
  }

  async function sweep(): Promise<{ removed: number }> {
    let removed = 0;
    for (const queue of queues) {
      removed += await clean(queue, retention.keepCompletedSeconds * 1000, 'completed');
      removed += await clean(queue, retention.keepFailedSeconds * 1000, 'failed');
    }
    if (removed) log.info('finished jobs past their retention removed', { removed });
    return { removed };
  }

  const onFinalFailure: FinalFailureHandler = async () => undefined;
  return { process: async () => sweep(), onFinalFailure, sweep };
}
