import type { Job } from 'bullmq';
import { UnknownConversationError, bridgeKeys, type AgentDesk, type Logger, type RedisClient } from '@bridge/shared';
import type { FinalFailureHandler } from '../processors/job-edge';

/** How often the handed-off conversations are checked for agents who went quiet. */
export const IDLE_CHECK_EVERY_MS = 30_000;

/**
 * Gives a handed-off conversation back to the bot after AGENT_IDLE_RELEASE_MINUTES without an
 * agent message (the release itself checks again, so an agent who just wrote keeps it).
 */
export function createIdleRelease({ desk, redis, prefix, idleMs, log, clock }: { desk: AgentDesk; redis: RedisClient; prefix: string; idleMs: number; log: Logger; clock: () => number }) {
  const waiting = bridgeKeys(prefix).agentsWaiting;
  async function sweep(): Promise<{ released: number }> {
    const cutoff = clock() - idleMs;
    const ids = await redis.zrangebyscore(waiting, '-inf', cutoff, 'LIMIT', 0, 500);
    let released = 0;
    for (const id of ids) {
      try {
        if ((await desk.release({ conversation_id: id }, { by: 'bridge', reason: 'idle', idleCutoff: cutoff })).released) released++;
      } catch (err) {
        if (!(err instanceof UnknownConversationError)) throw err;
        await redis.zrem(waiting, id);
      }
    }
    if (released) log.info('handoffs given back to the bot after agent silence', { released, idleMinutes: idleMs / 60_000 });
    return { released };
  }
  const process = async (_job: Job) => sweep();
  const onFinalFailure: FinalFailureHandler = async () => undefined;
  return { process, onFinalFailure, sweep };
}
