import type { Job } from 'bullmq';
import { ProfileSyncJob, UpstreamError, type RedisClient } from '@bridge/shared';
import { profileObjects, type BrazeClient, type ProfileItem } from '../clients/braze.client';
import { createBatcher } from '../domain/batcher';
import { parseJobData, type FinalFailureHandler } from '../processors/job-edge';

export interface ProfileSyncDeps {
  braze: BrazeClient;
  redis: RedisClient;
  prefix: string;
  /** objects per /users/track request (attributes and events together): 75, or 50 on Braze's newer MAU package */
  batchSize: number;
  batchWaitMs: number;
  /** requests per minute for the whole deployment; undefined = no limit of our own */
  requestsPerMinute?: number;
  clock: () => number;
}

/**
 * profile-sync: writes custom attributes and events to Braze profiles, batched into /users/track
 * requests on a request budget of their own (counted per clock minute in Redis, for every worker).
 * A budget spent, a 429 or a failing Braze hold this queue only: replies never wait for it.
 */
export function createProfileSyncProcessor(deps: ProfileSyncDeps) {
  async function takeRequestBudget(): Promise<void> {
    if (!deps.requestsPerMinute) return;
    const now = deps.clock();
    const minute = Math.floor(now / 60_000);
    const key = `${deps.prefix}:profile-sync:requests:${minute}`;
    const used = await deps.redis.incr(key);
    if (used === 1) await deps.redis.expire(key, 120);
    if (used > deps.requestsPerMinute) {
      throw new UpstreamError('braze', 'UPSTREAM_RATE_LIMITED', `BRAZE_TRACK_RATE_LIMIT_PER_MINUTE (${deps.requestsPerMinute}) reached`, { retryable: true, retryAfterMs: (minute + 1) * 60_000 - now });
    }
  }

  const batcher = createBatcher<ProfileItem, { warnings?: unknown }>(async (_group, items) => {
    await takeRequestBudget();
    return deps.braze.track(items);
  }, { maxSize: deps.batchSize, maxWaitMs: deps.batchWaitMs, sizeOf: profileObjects });

  const process = async (job: Job) => {
    const data = parseJobData(ProfileSyncJob, job.data);
    if (profileObjects(data) === 0) return { written: 0 };
    const result = await batcher.submit({ recipient: data.recipient, profile: data.profile });
    return { written: profileObjects(data), ...(result.warnings ? { brazeWarnings: result.warnings } : {}) };
  };
  const onFinalFailure: FinalFailureHandler = async () => undefined;
  return { process, onFinalFailure, batcher };
}
