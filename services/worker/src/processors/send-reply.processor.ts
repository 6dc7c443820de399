import type { Job } from 'bullmq';
import { SendReplyJob, conversationKeys, type RedisClient } from '@bridge/shared';
import type { BrazeClient } from '../clients/braze.client';
import type { ReplyBatcher } from '../domain/reply-batcher';
import type { ConversationOrder } from '../domain/conversation-order';
import { parseJobData, type FinalFailureHandler } from './job-edge';

export interface SendDeps {
  batcher: ReplyBatcher<Awaited<ReturnType<BrazeClient['send']>>>;
  order: ConversationOrder;
  redis: RedisClient;
  prefix: string;
}

/** Covers re-runs after a crash and retries from the dashboard within a day; memory stays flat after that. */
const SENT_RECORD_TTL_SECONDS = 86_400;

/**
 * reply-send: hands the reply to the batcher (replies ready together share one Braze request).
 * A reply Braze accepted is recorded, so a re-run of the job (lost lock, crash, manual retry)
 * does not send it twice. Then the conversation's turn passes to its next message.
 */
export function createSendReplyProcessor(deps: SendDeps) {
  const process = async (job: Job) => {
    const data = parseJobData(SendReplyJob, job.data);
    const sentKey = conversationKeys(deps.prefix, data.conversation.id).sent(data.generateJobId);
    if (await deps.redis.exists(sentKey)) {
      await deps.order.advance(data.conversation);
      return { sent: false, alreadySent: true };
    }
    const result = await deps.batcher.submit({ recipient: data.recipient, reply: data.reply });
    await deps.order.advance(data.conversation, { key: sentKey, value: result.dispatchId ?? '1', ttlSeconds: SENT_RECORD_TTL_SECONDS });
    return { sent: true, kind: data.kind, dispatchId: result.dispatchId, brazeWarnings: result.warnings };
  };

  const onFinalFailure: FinalFailureHandler = async (job) => {
    const data = SendReplyJob.safeParse(job.data);
    if (data.success) await deps.order.advance(data.data.conversation);
  };

  return { process, onFinalFailure };
}
