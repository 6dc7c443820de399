import type { Job } from 'bullmq';
import { AgentMessageText, ChatwootInboundJob, UnknownConversationError, type AgentDesk } from '@bridge/shared';
import { parseJobData, type FinalFailureHandler } from '../processors/job-edge';
import type { ChatwootSink } from './chatwoot-sink';
import type { ChatwootStore } from './chatwoot-store';

export interface ChatwootInboundDeps {
  desk: AgentDesk;
  store: ChatwootStore;
  sink: Pick<ChatwootSink, 'reportUndelivered' | 'note'>;
  inboxId: number;
}

const NOT_LINKED = 'this Chatwoot conversation is not linked to a WhatsApp user any more (the bridge forgets a conversation CONVERSATION_TTL_HOURS after its last activity). The customer has to write first.';

/**
 * chatwoot-inbound: an agent's reply written in Chatwoot goes to WhatsApp through the agent desk
 * (in order, with the owner and 24-hour-window checks, deduped on the Chatwoot message id); a
 * conversation resolved in Chatwoot goes back to the bot. The connector's own messages, and
 * resolves it asked for itself, are skipped.
 */
export function createChatwootInboundProcessor(deps: ChatwootInboundDeps) {
  const process = async (job: Job) => {
    const data = parseJobData(ChatwootInboundJob, job.data);
    const chatwootId = data.chatwoot.conversationId;
    // an account webhook on the same URL also sends other inboxes' conversations
    if (data.chatwoot.inboxId !== undefined && data.chatwoot.inboxId !== deps.inboxId) return { ignored: 'other_inbox' };
    const conversationId = await deps.store.bridgeConversationOf(chatwootId);

    if (data.kind === 'resolved') {
      if (!conversationId) return { ignored: 'unknown_conversation' };
      if (await deps.store.takeOwnResolve(chatwootId)) return { ignored: 'resolved_by_the_bridge' };
      try {
        const result = await deps.desk.release({ conversation_id: conversationId }, { by: 'chatwoot', reason: 'resolved' });
        return { released: result.released, conversationId };
      } catch (err) {
        if (err instanceof UnknownConversationError) return { ignored: 'unknown_conversation' };
        throw err;
      }
    }

    const messageId = data.chatwoot.messageId;
    const undelivered = async (reason: string, ignored: string) => {
      await deps.sink.reportUndelivered(chatwootId, messageId, reason);
      return { ignored, reported: true };
    };
    if (!conversationId) return undelivered(NOT_LINKED, 'unknown_conversation');
    if (await deps.store.isOwnMessage(conversationId, messageId)) return { ignored: 'own_message' };
    const text = AgentMessageText.safeParse(data.text);
    if (!text.success) {
      if (data.attachments && !data.text.trim()) return undelivered('attachments cannot be sent to WhatsApp through the bridge; write the reply as text.', 'attachments_only');
      if (!data.text.trim()) return { ignored: 'empty' };
      return undelivered(`the reply has ${data.text.trim().length} characters; WhatsApp takes at most 4096. Send it in shorter parts.`, 'too_long');
    }
    try {
      const result = await deps.desk.sendMessage({ conversation_id: conversationId }, {
        text: text.data, agentName: data.agentName ?? 'Agent', messageId: `chatwoot:${messageId}`,
        source: { system: 'chatwoot', messageId: String(messageId) }, correlationId: String(job.id),
      });
      if (data.attachments) await deps.sink.note(chatwootId, 'Only the text of this reply goes to WhatsApp: the bridge sends no attachments.');
      return { status: result.status, conversationId, sendJobId: result.id };
    } catch (err) {
      if (err instanceof UnknownConversationError) return undelivered(NOT_LINKED, 'unknown_conversation');
      throw err;
    }
  };

  // the error edge logs it; nothing waits on this job
  const onFinalFailure: FinalFailureHandler = async () => undefined;
  return { process, onFinalFailure };
}
