import { z } from 'zod';
import { UpstreamError, classifyHttpError } from '@bridge/shared';
import { createHttpClient } from '../clients/http-agent';

export interface ChatwootClientConfig {
  url: string;
  /** a user's access token: the contact calls take no agent-bot token */
  token: string;
  accountId: number;
  inboxId: number;
  timeoutMs: number;
}

export interface ChatwootObservation {
  status: string;
  seconds: number;
}

const ContactInbox = z.object({ source_id: z.string().min(1), inbox: z.object({ id: z.number() }).passthrough() }).passthrough();
const Contact = z.object({
  id: z.number().int(),
  identifier: z.string().nullish(),
  phone_number: z.string().nullish(),
  contact_inboxes: z.array(ContactInbox).optional(),
}).passthrough();
export type ChatwootContact = z.infer<typeof Contact>;
const ContactList = z.object({ payload: z.array(Contact) }).passthrough();
const ContactCreated = z.object({
  payload: z.object({
    contact: Contact,
    contact_inbox: z.object({ source_id: z.string().nullish() }).passthrough().nullish(),
  }).passthrough(),
}).passthrough();
const Conversation = z.object({ id: z.number().int(), inbox_id: z.number().int().optional(), status: z.string().optional() }).passthrough();
export type ChatwootConversation = z.infer<typeof Conversation>;
const ConversationList = z.object({ payload: z.array(Conversation) }).passthrough();
const Created = z.object({ id: z.number().int() }).passthrough();

/**
 * The Chatwoot Application API calls the connector makes, each described in
 * chatwoot-api.openapi.yaml (and its overlay). Header `api_access_token`; errors are classified
 * like every upstream's (429 with Retry-After, 5xx and timeouts retryable; other 4xx permanent).
 */
export function createChatwootClient(config: ChatwootClientConfig, observe: (o: ChatwootObservation) => void = () => undefined) {
  const http = createHttpClient(`${config.url}/api/v1/accounts/${config.accountId}`, config.timeoutMs, { api_access_token: config.token });

  async function call<S extends z.ZodType>(method: 'get' | 'post' | 'patch', path: string, schema: S, o: { body?: unknown; params?: Record<string, string> } = {}): Promise<z.infer<S>> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let data: unknown;
    try {
      const res = await http.request({ method, url: path, data: o.body, params: o.params });
      observe({ status: String(res.status), seconds: seconds() });
      data = res.data;
    } catch (err) {
      const e = classifyHttpError(err, 'chatwoot');
      observe({ status: e.status ? String(e.status) : e.code, seconds: seconds() });
      throw e;
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const where = parsed.error.issues.slice(0, 3).map((i) => i.path.join('.') || 'body').join(', ');
      throw new UpstreamError('chatwoot', 'UPSTREAM_BAD_RESPONSE', `chatwoot answered ${method.toUpperCase()} ${path.replace(/\/\d+/g, '/:id')} in an unexpected shape (${where})`, { retryable: false });
    }
    return parsed.data;
  }

  return {
    inboxId: config.inboxId,

    /** GET /contacts/search?q= */
    async searchContacts(q: string): Promise<ChatwootContact[]> {
      return (await call('get', '/contacts/search', ContactList, { params: { q } })).payload;
    },

    /** POST /contacts with the inbox: the contact and its session there (sourceId, when Chatwoot gave one). */
    async createContact(o: { identifier: string; name?: string; phone?: string }): Promise<{ contactId: number; sourceId?: string }> {
      const body = { inbox_id: config.inboxId, identifier: o.identifier, ...(o.name ? { name: o.name } : {}), ...(o.phone ? { phone_number: o.phone } : {}) };
      const { payload } = await call('post', '/contacts', ContactCreated, { body });
      const sourceId = payload.contact_inbox?.source_id ?? sessionIn(payload.contact, config.inboxId);
      return { contactId: payload.contact.id, ...(sourceId ? { sourceId } : {}) };
    },

    /** POST /contacts/{id}/contact_inboxes: a session in the inbox for a contact that has none. */
    async createContactInbox(contactId: number): Promise<string> {
      return (await call('post', `/contacts/${contactId}/contact_inboxes`, ContactInbox, { body: { inbox_id: config.inboxId } })).source_id;
    },

    /** GET /contacts/{id}/conversations */
    async contactConversations(contactId: number): Promise<ChatwootConversation[]> {
      return (await call('get', `/contacts/${contactId}/conversations`, ConversationList)).payload;
    },

    /** POST /conversations, open: its display id */
    async createConversation(o: { contactId: number; sourceId: string }): Promise<number> {
      return (await call('post', '/conversations', Created, { body: { source_id: o.sourceId, inbox_id: config.inboxId, contact_id: o.contactId, status: 'open' } })).id;
    },

    /** POST /conversations/{id}/messages: the customer's side (incoming) or a private note. Its id. */
    async createMessage(conversationId: number, o: { content: string; as: 'incoming' | 'note' }): Promise<number> {
      const body = o.as === 'incoming' ? { content: o.content, message_type: 'incoming' } : { content: o.content, message_type: 'outgoing', private: true };
      return (await call('post', `/conversations/${conversationId}/messages`, Created, { body })).id;
    },

    /** POST /conversations/{id}/toggle_status */
    async setStatus(conversationId: number, status: 'open' | 'resolved'): Promise<void> {
      await call('post', `/conversations/${conversationId}/toggle_status`, z.unknown(), { body: { status } });
    },

    /** PATCH /conversations/{id}/messages/{message_id} status failed (Chatwoot releases from 2025-04, API inboxes). */
    async markFailed(conversationId: number, messageId: number, reason: string): Promise<void> {
      await call('patch', `/conversations/${conversationId}/messages/${messageId}`, z.unknown(), { body: { status: 'failed', external_error: reason } });
    },
  };
}
export type ChatwootClient = ReturnType<typeof createChatwootClient>;

/** The contact's session (source_id) in the inbox, if it has one. */
export function sessionIn(contact: ChatwootContact, inboxId: number): string | undefined {
  return contact.contact_inboxes?.find((ci) => ci.inbox.id === inboxId)?.source_id;
}
