import { AppError, UpstreamError, conversationKeys, readState, type AgentEvent, type Logger, type RedisClient } from '@bridge/shared';
import type { z } from 'zod';
import type { AgentEventSink } from '../agents/webhook-sink';
import type { ChatwootClient } from './chatwoot.client';
import { sessionIn } from './chatwoot.client';
import {
  HandoffEnded, HandoffStarted, MessageFailed, MessageReceived, MessageSent, customerContent, latestAt, transcriptOps, undeliveredReason,
  type ChatwootOp,
} from './chatwoot-mapping';
import type { ChatwootLink, ChatwootStore } from './chatwoot-store';

export interface ChatwootSinkDeps {
  client: ChatwootClient;
  store: ChatwootStore;
  /** CHATWOOT_MARK_FAILED: also PATCH an undelivered agent reply to status failed */
  markFailed: boolean;
  redis: RedisClient;
  prefix: string;
  log: Logger;
}

/** Chatwoot keeps external_error short in its UI. */
const EXTERNAL_ERROR_MAX = 500;
const E164 = /^\+[1-9]\d{1,14}$/;

/** A phone number as Chatwoot takes it (E.164), or nothing. */
export function toE164(phone: string | undefined): string | undefined {
  if (!phone) return undefined;
  const compact = phone.replace(/[\s().-]/g, '');
  const candidate = compact.startsWith('+') ? compact : `+${compact}`;
  return E164.test(candidate) ? candidate : undefined;
}

function parse<S extends z.ZodType>(schema: S, event: AgentEvent): z.infer<S> {
  const result = schema.safeParse(event.data);
  if (!result.success) throw new AppError('INVALID_EVENT', `${event.type} event ${event.id} cannot be mirrored: ${result.error.issues.map((i) => i.path.join('.')).join(', ')}`, { retryable: false });
  return result.data;
}

/**
 * Agent events to Chatwoot (lane `chatwoot`): a handoff finds or creates the contact and opens its
 * conversation in the API inbox with the transcript so far; the customer's messages while handed
 * off follow as incoming messages; undelivered agent replies get a private note (and the failed
 * mark with CHATWOOT_MARK_FAILED); the end of a handoff not decided in Chatwoot resolves it there.
 * Each call is recorded as it is made, so a delivery retried after a crash or an outage carries on
 * where it stopped and posts nothing twice (but for the one call in flight when it stopped).
 */
export function createChatwootSink(deps: ChatwootSinkDeps) {
  const { client, store, log } = deps;
  const inboxId = client.inboxId;

  async function contactOf(conversationId: string): Promise<{ phone?: string; name?: string }> {
    return readState(await deps.redis.hgetall(conversationKeys(deps.prefix, conversationId).state)).contact ?? {};
  }

  async function findContact(identifier: string, phone: string | undefined) {
    const byIdentifier = (await client.searchContacts(identifier)).find((c) => c.identifier === identifier);
    if (byIdentifier || !phone) return byIdentifier;
    // Chatwoot keeps one contact per phone number: one made by another channel is this person too
    return (await client.searchContacts(phone)).find((c) => toE164(c.phone_number ?? undefined) === phone);
  }

  /** The contact, its session and its conversation in the inbox: found, else created. */
  async function ensureConversation(id: string, who: { identifier: string; name?: string; phone?: string }): Promise<{ link: ChatwootLink; chatwootId: number }> {
    let link = await store.load(id);
    let { contactId, sourceId } = link;
    if (contactId === undefined || sourceId === undefined) {
      const found = await findContact(who.identifier, who.phone);
      if (found) {
        contactId = found.id;
        sourceId = sessionIn(found, inboxId) ?? await client.createContactInbox(found.id);
      } else {
        const created = await client.createContact(who);
        contactId = created.contactId;
        sourceId = created.sourceId ?? await client.createContactInbox(created.contactId);
      }
      await store.saveContact(id, contactId, sourceId);
    }
    if (link.conversationId !== undefined) return { link, chatwootId: link.conversationId };
    let conversations;
    try {
      conversations = await client.contactConversations(contactId);
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 404) {
        await store.forgetContact(id);
        throw new UpstreamError('chatwoot', 'CHATWOOT_CONTACT_GONE', `chatwoot contact ${contactId} no longer exists; the next attempt finds or creates it again`, { retryable: true, cause: err });
      }
      throw err;
    }
    const open = conversations.filter((c) => c.inbox_id === inboxId && c.status !== 'resolved').sort((a, b) => b.id - a.id)[0];
    const chatwootId = open?.id ?? await client.createConversation({ contactId, sourceId });
    await store.saveConversation(id, chatwootId);
    link = await store.load(id);
    return { link, chatwootId };
  }

  const identifierOf = (d: { conversation_id: string; user_id?: string; braze_id?: string }) => d.user_id ?? d.braze_id ?? `bridge-${d.conversation_id}`;

  async function perform(chatwootId: number, op: ChatwootOp): Promise<number | undefined> {
    switch (op.op) {
      case 'incoming':
        return client.createMessage(chatwootId, { content: op.content, as: 'incoming' });
      case 'note':
        return client.createMessage(chatwootId, { content: op.content, as: 'note' });
      case 'status':
        if (op.status === 'resolved') await store.markOwnResolve(chatwootId);
        else await store.clearOwnResolve(chatwootId);
        await client.setStatus(chatwootId, op.status);
        return undefined;
      case 'mark_failed':
        try {
          await client.markFailed(chatwootId, op.messageId, op.reason.slice(0, EXTERNAL_ERROR_MAX));
        } catch (err) {
          // releases before the status call (2025-04) have no such route: the note is there already
          if (err instanceof UpstreamError && !err.retryable) log.warn('chatwoot did not take the failed mark (CHATWOOT_MARK_FAILED needs a Chatwoot release from 2025-04 on)', { status: err.status, code: err.code });
          else throw err;
        }
        return undefined;
    }
  }

  /** Makes the event's calls that are not recorded as made yet, recording each. */
  async function run(id: string, event: AgentEvent, link: ChatwootLink, chatwootId: number, ops: ChatwootOp[], mirroredAt: number) {
    const from = link.step?.eventId === event.id ? link.step.done : 0;
    for (let i = from; i < ops.length; i++) {
      let posted: number | undefined;
      try {
        posted = await perform(chatwootId, ops[i]!);
      } catch (err) {
        if (err instanceof UpstreamError && err.status === 404) {
          await store.forgetConversation(id, chatwootId);
          throw new UpstreamError('chatwoot', 'CHATWOOT_CONVERSATION_GONE', `chatwoot conversation ${chatwootId} no longer exists; the next attempt opens another`, { retryable: true, cause: err });
        }
        throw err;
      }
      await store.progress(id, event.id, i + 1, posted);
    }
    await store.finish(id, event.id, mirroredAt, chatwootId);
  }

  async function deliver(event: AgentEvent): Promise<void> {
    const id = String(event.data.conversation_id);
    switch (event.type) {
      case 'handoff.started': {
        const d = parse(HandoffStarted, event);
        const { link, chatwootId } = await ensureConversation(id, { identifier: identifierOf(d), name: d.profile_name, phone: toE164(d.phone) });
        // always open, whatever it was (resolved, pending, snoozed): the same calls on every attempt, so a retry resumes at the right one
        const ops: ChatwootOp[] = [{ op: 'status', status: 'open' }, ...transcriptOps(d.transcript, link.mirroredAt)];
        return run(id, event, link, chatwootId, ops, latestAt(d.transcript, link.mirroredAt));
      }
      case 'message.received': {
        const d = parse(MessageReceived, event);
        const contact = await contactOf(id);
        const { link, chatwootId } = await ensureConversation(id, { identifier: identifierOf(d), name: contact.name, phone: toE164(contact.phone) });
        const ops: ChatwootOp[] = [{ op: 'incoming', content: customerContent(d.message.text, { urls: d.message.media_urls }) }];
        if (d.message.opt_out) ops.push({ op: 'note', content: 'The customer sent an opt-out word: Braze handles their subscription, and replies may no longer reach them.' });
        if (d.suggested_reply) ops.push({ op: 'note', content: `Suggested reply (AI draft, not sent):\n${d.suggested_reply}` });
        return run(id, event, link, chatwootId, ops, Date.parse(d.message.at));
      }
      case 'message.sent': {
        const d = parse(MessageSent, event);
        const link = await store.load(id);
        if (link.conversationId === undefined) return;
        // a reply written in Chatwoot is there already; one from the console or the agent API is shown as a note
        const ops: ChatwootOp[] = d.source?.system === 'chatwoot' ? [] : [{ op: 'note', content: `${d.message.agent_name ?? 'An agent'} replied outside Chatwoot:\n${d.message.text}` }];
        return run(id, event, link, link.conversationId, ops, Date.parse(d.message.at));
      }
      case 'message.failed': {
        const d = parse(MessageFailed, event);
        const link = await store.load(id);
        if (link.conversationId === undefined) return;
        const reason = undeliveredReason(d.reason, d.detail);
        const messageId = d.source?.system === 'chatwoot' ? Number(d.source.messageId) : undefined;
        const ops: ChatwootOp[] = [{ op: 'note', content: messageId ? `Not delivered to WhatsApp: ${reason}` : `Not delivered to WhatsApp: ${reason}\n${d.message.agent_name ?? 'An agent'} wrote:\n${d.message.text}` }];
        if (deps.markFailed && messageId) ops.push({ op: 'mark_failed', messageId, reason });
        return run(id, event, link, link.conversationId, ops, Date.parse(event.timestamp));
      }
      case 'handoff.ended': {
        const d = parse(HandoffEnded, event);
        const link = await store.load(id);
        if (link.conversationId === undefined) return;
        // resolved in Chatwoot: nothing to add there
        const ops: ChatwootOp[] = d.by === 'chatwoot' ? [] : [
          { op: 'note', content: `Returned to the bot${d.reason ? ` (${d.reason}${d.by ? `, by ${d.by}` : ''})` : ''}. The bot answers the customer again; a reply here takes the conversation back.` },
          { op: 'status', status: 'resolved' },
        ];
        return run(id, event, link, link.conversationId, ops, Date.parse(d.until));
      }
    }
  }

  /** A private note, remembered as the connector's own. */
  async function note(chatwootId: number, content: string): Promise<void> {
    const posted = await client.createMessage(chatwootId, { content, as: 'note' });
    const id = await store.bridgeConversationOf(chatwootId);
    if (id) await store.rememberPosted(id, posted);
  }

  /** An agent's reply from Chatwoot that is not even handed to Braze: a private note (and the failed mark) saying why. */
  async function reportUndelivered(chatwootId: number, messageId: number, reason: string): Promise<void> {
    await note(chatwootId, `Not delivered to WhatsApp: ${reason}`);
    if (deps.markFailed) await perform(chatwootId, { op: 'mark_failed', messageId, reason });
  }

  const sink: AgentEventSink = { name: 'chatwoot', deliver };
  return { ...sink, note, reportUndelivered };
}
export type ChatwootSink = ReturnType<typeof createChatwootSink>;
