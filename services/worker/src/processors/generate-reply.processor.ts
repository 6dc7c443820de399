import type { Job, Queue } from 'bullmq';
import { GenerateReplyJob, JOB, sendJobIdFor, type Logger, type SendReplyJob } from '@bridge/shared';
import type { AiClient, ChatMessage } from '../clients/ai.client';
import { buildMessages, userContent } from '../domain/build-messages';
import type { ConversationHistory } from '../domain/conversation-history';
import type { ConversationOrder } from '../domain/conversation-order';
import type { Route } from '../domain/route-message';
import { parseJobData, type FinalFailureHandler } from './job-edge';

export interface GenerateDeps {
  ai: AiClient;
  history: ConversationHistory;
  order: ConversationOrder;
  route: (text: string) => Route;
  sendQueue: Queue;
  systemPrompt: string;
  fallbackMessage: string | undefined;
  log: Logger;
}

/**
 * reply-generate: waits for the conversation's turn, routes, calls the AI (or reuses the reply
 * an earlier run paid for) and hands the text to reply-send under a fixed job id.
 */
export function createGenerateReplyProcessor(deps: GenerateDeps) {
  const enqueueSend = (job: Job, data: GenerateReplyJob, reply: string, kind: SendReplyJob['kind']) => {
    const send: SendReplyJob = {
      v: 1, correlationId: data.correlationId, conversation: data.conversation, recipient: data.recipient,
      reply, kind, generateJobId: job.id!,
    };
    return deps.sendQueue.add(JOB.send, send, { jobId: sendJobIdFor(job.id!) });
  };

  const askAi = async (conversationId: string, jobId: string, data: GenerateReplyJob, history: ChatMessage[]) => {
    const user = userContent(data);
    const { content } = await deps.ai.complete(buildMessages(deps.systemPrompt, history, user));
    await deps.history.recordTurn(conversationId, jobId, user, content);
    return content;
  };

  const process = async (job: Job, token?: string) => {
    const data = parseJobData(GenerateReplyJob, job.data);
    await deps.order.waitForTurn(job, token, data.conversation);

    if (deps.route(data.text) === 'silent') {
      await deps.order.advance(data.conversation);
      return { route: 'silent' };
    }
    const conversationId = data.conversation.id;
    const prepared = await deps.history.prepare(conversationId, job.id!);
    const reply = prepared.reply ?? await askAi(conversationId, job.id!, data, prepared.history);
    await enqueueSend(job, data, reply, 'ai');
    return { route: 'ai', replyChars: reply.length, reusedReply: prepared.reply !== null };
  };

  /** The AI failed for good: send the fallback if there is one, else pass the turn on. */
  const onFinalFailure: FinalFailureHandler = async (job) => {
    const data = GenerateReplyJob.safeParse(job.data);
    if (!data.success) return;
    if (deps.fallbackMessage) await enqueueSend(job, data.data, deps.fallbackMessage, 'fallback');
    else await deps.order.advance(data.data.conversation);
  };

  return { process, onFinalFailure };
}
