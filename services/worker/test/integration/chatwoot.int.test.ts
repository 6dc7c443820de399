import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { conversationIdFor, readState, conversationKeys } from '@bridge/shared';
import { startChatwootMock, type ChatwootMock } from '../../../../test/helpers/chatwoot-mock';
import { agentMessage, chatwootHeaders, statusChanged } from '../../../../test/helpers/chatwoot-webhooks';
import { startPipeline, type Pipeline } from '../../../../test/helpers/pipeline';
import { eventually } from '../../../../test/helpers/service-process';
import { replyText } from '../../../../test/helpers/stand-in-server';
import { assertionRedis } from '../../../../test/helpers/test-env';

const FILE = `
routes:
  - name: human
    match: { keywords: [AGENT] }
    action: handoff
`;
const SECRET = 'inbox-secret-0123456789ab';
const TOKEN = 'chatwoot-path-token-0123456789';
const HANDOFF_TEXT = 'A person will answer you here shortly.';
/** what the description's examples answer: contact 42, session wa-5f0c2b, conversation 128, every posted message 4711 */
const CONVERSATION = 128;
const OWN_MESSAGE_ID = 4711;
const conversationId = conversationIdFor({ external_user_id: 'user-1' });

const texts = (p: Pipeline) => p.braze.requests.filter((r) => r.path === '/campaigns/trigger/send').map((r) => replyText(r.body));

describe('Chatwoot as the agents\' desk, against a Prism mock of the project\'s Chatwoot API description', () => {
  let dir: string;
  let conversationFile: string;
  let mock: ChatwootMock;
  let p: Pipeline;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-chatwoot-'));
    conversationFile = path.join(dir, 'conversation.yaml');
    writeFileSync(conversationFile, FILE);
    mock = await startChatwootMock();
  });
  afterAll(async () => {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await p?.stop();
    // every test: nothing the bridge sent broke the description
    const violations = mock.violations();
    mock.reset();
    expect(violations.map((v) => ({ call: `${v.method} ${v.path}`, body: v.body, violations: v.violations }))).toEqual([]);
  });

  const start = (env: Record<string, string> = {}, options: Parameters<typeof startPipeline>[1] = {}) => startPipeline({
    CONVERSATION_FILE: conversationFile, CHATWOOT_URL: mock.url, CHATWOOT_API_TOKEN: 'chatwoot-user-token', CHATWOOT_ACCOUNT_ID: '1', CHATWOOT_INBOX_ID: '3', ...env,
  }, { ingestEnv: { CONVERSATION_FILE: conversationFile, CHATWOOT_URL: mock.url, CHATWOOT_WEBHOOK_SECRET: SECRET, CHATWOOT_WEBHOOK_TOKEN: TOKEN }, ...options });

  /** posts a webhook as Chatwoot does: the JSON as raw bytes, signed unless headers are given */
  const fromChatwoot = (payload: unknown, o: { headers?: Record<string, string>; path?: string; at?: number } = {}) => {
    const raw = JSON.stringify(payload);
    const req = request(p.ingest.app).post(o.path ?? '/webhooks/chatwoot');
    for (const [k, v] of Object.entries(o.headers ?? chatwootHeaders(SECRET, raw, { at: o.at }))) req.set(k, v);
    return req.send(raw);
  };
  /** every agent event delivered and every Chatwoot webhook acted on */
  const settled = () => eventually(async () => {
    const counts = await Promise.all([p.worker.eventsQueue, p.worker.chatwootQueue!].map((q) => q.getJobCounts('wait', 'active', 'delayed', 'prioritized')));
    return counts.every((c) => Object.values(c).every((n) => n === 0));
  }, 20_000, 'agent events and chatwoot jobs done');
  const handedOff = async () => {
    await p.replied({ message: 'hi, my parcel is late' });
    await p.replied({ message: 'AGENT' });
    await mock.waitUntil(() => mock.messages().length >= 4);
    await settled();
  };
  const owner = async () => {
    const redis = assertionRedis();
    try {
      return readState(await redis.hgetall(conversationKeys(p.prefix, conversationId).state)).owner ?? 'bot';
    } finally {
      redis.disconnect();
    }
  };
  const agentReply = async (id: number, content: string | null, extra: Record<string, unknown> = {}) => {
    const res = await fromChatwoot(agentMessage({ id, conversationId: CONVERSATION, content, ...extra }));
    if (res.body.status === 'queued') await p.finished('chatwoot', res.body.id);
    return res;
  };

  test('when a request breaks the description, then the mock answers 422 (the validator is live) and 401 without a token', async () => {
    const post = (headers: Record<string, string>, body: unknown) => fetch(`${mock.url}/api/v1/accounts/1/conversations`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const missingSourceId = await post({ api_access_token: 'x' }, { inbox_id: 3 });
    const unknownField = await post({ api_access_token: 'x' }, { source_id: 'wa-5f0c2b', inbox_id: 3, colour: 'red' });
    const noToken = await post({}, { source_id: 'wa-5f0c2b', inbox_id: 3 });
    const valid = await post({ api_access_token: 'x' }, { source_id: 'wa-5f0c2b', inbox_id: 3 });

    expect([missingSourceId.status, unknownField.status, noToken.status, valid.status]).toEqual([422, 422, 401, 200]);
    expect(mock.violations()).toHaveLength(3);
    mock.reset();
  });

  test('when a customer is handed off, then Chatwoot gets the contact, an open conversation and the transcript in order, and each later message as incoming', async () => {
    p = await start();
    await handedOff();
    await p.finished('generate', await p.post({ message: 'are you there?' }));
    await mock.waitUntil(() => mock.messages().length >= 5);
    await settled();

    expect(mock.calls()).toEqual([
      'GET /contacts/search', 'GET /contacts/search', 'POST /contacts', 'GET /contacts/42/conversations', 'POST /conversations', `POST /conversations/${CONVERSATION}/toggle_status`,
      ...Array(5).fill(`POST /conversations/${CONVERSATION}/messages`),
    ]);
    const [byIdentifier, byPhone, contact, , conversation] = mock.requests;
    expect(new URL(byIdentifier!.path, mock.url).searchParams.get('q')).toBe('user-1');
    expect(new URL(byPhone!.path, mock.url).searchParams.get('q')).toBe('+15550000001');
    expect(contact!.body).toEqual({ inbox_id: 3, identifier: 'user-1', phone_number: '+15550000001' });
    expect(conversation!.body).toEqual({ source_id: 'wa-5f0c2b', inbox_id: 3, contact_id: 42, status: 'open' });
    expect(mock.requests.every((r) => r.headers.api_access_token === 'chatwoot-user-token')).toBe(true);
    expect(mock.messages()).toEqual([
      { conversation: CONVERSATION, type: 'incoming', private: false, content: 'hi, my parcel is late' },
      { conversation: CONVERSATION, type: 'outgoing', private: true, content: 'Bot: echo: hi, my parcel is late' },
      { conversation: CONVERSATION, type: 'incoming', private: false, content: 'AGENT' },
      { conversation: CONVERSATION, type: 'outgoing', private: true, content: 'Handed to a person (human).' },
      { conversation: CONVERSATION, type: 'incoming', private: false, content: 'are you there?' },
    ]);
    expect(texts(p)).toEqual(['echo: hi, my parcel is late', HANDOFF_TEXT]);
  });

  test('when the contact exists without a session in the inbox and has an open conversation there, then both are reused', async () => {
    mock.preferExamples((method, apiPath) => (apiPath === '/contacts/search' ? 'found_elsewhere' : apiPath === '/contacts/42/conversations' ? 'open' : undefined));
    p = await start();
    await handedOff();

    expect(mock.calls().slice(0, 3)).toEqual(['GET /contacts/search', 'POST /contacts/42/contact_inboxes', 'GET /contacts/42/conversations']);
    expect(mock.requests[1]!.body).toEqual({ inbox_id: 3 });
    expect(mock.calls().slice(3)).toEqual([`POST /conversations/${CONVERSATION}/toggle_status`, ...Array(4).fill(`POST /conversations/${CONVERSATION}/messages`)]);
  });

  test('when Chatwoot sends an agent\'s reply twice, then the customer gets it once through Braze, even after the ingest forgot the first', async () => {
    p = await start();
    await handedOff();
    const first = await agentReply(9001, 'Hi Ana, Maria here. Let me look.');
    const again = await agentReply(9001, 'Hi Ana, Maria here. Let me look.');
    // past the ingest's memory of it (and the job's retention): the desk still knows the message id
    const redis = assertionRedis();
    await redis.del(`${p.prefix}:chatwoot:seen:cw-reply-9001`);
    redis.disconnect();
    await (await p.worker.chatwootQueue!.getJob('cw-reply-9001'))!.remove();
    const third = await agentReply(9001, 'Hi Ana, Maria here. Let me look.');
    const thirdResult = await p.worker.chatwootQueue!.getJob('cw-reply-9001').then((j) => j?.returnvalue);
    await p.braze.waitForRecipients(3);
    await settled();

    expect([first.status, first.body.status, again.body.status, third.body.status]).toEqual([200, 'queued', 'duplicate', 'queued']);
    expect(thirdResult).toMatchObject({ status: 'duplicate' });
    expect(texts(p)).toEqual(['echo: hi, my parcel is late', HANDOFF_TEXT, 'Hi Ana, Maria here. Let me look.']);
    expect(p.braze.requests.at(-1)!.body.recipients).toEqual([expect.objectContaining({ external_user_id: 'user-1' })]);
    // the reply is in Chatwoot already: nothing more is posted for it
    expect(mock.messages()).toHaveLength(4);
  });

  test('when a webhook has a bad signature, a stale or missing timestamp, or a wrong token, then it is refused with 401 and nothing is sent', async () => {
    p = await start();
    await handedOff();
    const payload = agentMessage({ id: 9002, conversationId: CONVERSATION, content: 'forged' });
    const raw = JSON.stringify(payload);
    const forged = await fromChatwoot(payload, { headers: chatwootHeaders('not-the-inbox-secret-000', raw) });
    const stale = await fromChatwoot(payload, { headers: chatwootHeaders(SECRET, raw, { at: Date.now() - 6 * 60_000 }) });
    const { 'X-Chatwoot-Signature': _s, ...unsigned } = chatwootHeaders(SECRET, raw);
    const missing = await fromChatwoot(payload, { headers: unsigned });
    const wrongToken = await fromChatwoot(payload, { headers: { 'Content-Type': 'application/json' }, path: `/webhooks/chatwoot/${TOKEN}x` });
    const token = await fromChatwoot(agentMessage({ id: 9003, conversationId: CONVERSATION, content: 'via the token' }), { headers: { 'Content-Type': 'application/json' }, path: `/webhooks/chatwoot/${TOKEN}` });
    await p.finished('chatwoot', token.body.id);
    await p.braze.waitForRecipients(3);

    expect([forged, stale, missing, wrongToken].map((r) => [r.status, r.body.error.code])).toEqual([
      [401, 'INVALID_SIGNATURE'], [401, 'STALE_TIMESTAMP'], [401, 'UNAUTHORIZED'], [401, 'UNAUTHORIZED'],
    ]);
    expect(token.body).toEqual({ status: 'queued', id: 'cw-reply-9003' });
    expect(texts(p).slice(2)).toEqual(['via the token']);
  });

  test('when Chatwoot sends a private note, a bot\'s message, an activity row or the customer\'s message, then none is relayed', async () => {
    p = await start();
    await handedOff();
    const answers = await Promise.all([
      fromChatwoot(agentMessage({ id: 9010, conversationId: CONVERSATION, content: 'internal only', private: true })),
      fromChatwoot(agentMessage({ id: 9011, conversationId: CONVERSATION, content: 'I am a bot', sender: { id: 2, name: 'Helper', type: 'agent_bot' } })),
      fromChatwoot(agentMessage({ id: 9012, conversationId: CONVERSATION, content: 'Conversation was marked open', message_type: 'activity', sender: undefined })),
      fromChatwoot(agentMessage({ id: 9013, conversationId: CONVERSATION, content: 'are you there?', message_type: 'incoming', sender: { id: 42, type: 'contact' } })),
      fromChatwoot({ event: 'conversation_typing_on', id: CONVERSATION }),
    ]);

    expect(answers.map((r) => [r.status, r.body.status, r.body.reason])).toEqual([
      [200, 'ignored', 'private_note'], [200, 'ignored', 'not_from_an_agent'], [200, 'ignored', 'activity_message'], [200, 'ignored', 'incoming_message'], [200, 'ignored', 'event_not_relayed'],
    ]);
    expect(await p.worker.chatwootQueue!.getJobCounts('wait', 'completed')).toEqual({ wait: 0, completed: 0 });
    expect(texts(p)).toEqual(['echo: hi, my parcel is late', HANDOFF_TEXT]);
  });

  test('when a message the connector posted comes back looking like an agent\'s reply, then it is not sent to WhatsApp', async () => {
    p = await start();
    await handedOff();
    const echo = await agentReply(OWN_MESSAGE_ID, 'Bot: echo: hi, my parcel is late');
    const result = await p.worker.chatwootQueue!.getJob(echo.body.id).then((j) => j?.returnvalue);

    expect(echo.body.status).toBe('queued');
    expect(result).toEqual({ ignored: 'own_message' });
    expect(texts(p)).toEqual(['echo: hi, my parcel is late', HANDOFF_TEXT]);
  });

  test('when the agent resolves the conversation in Chatwoot, then the user is back with the bot; a later reply there takes it over again, with what the bot said meanwhile', async () => {
    p = await start();
    await handedOff();
    const resolved = await fromChatwoot(statusChanged({ conversationId: CONVERSATION, status: 'resolved' }));
    await p.finished('chatwoot', resolved.body.id);
    await p.replied({ message: 'one more question' });
    await settled();

    expect(resolved.body.status).toBe('queued');
    expect(await owner()).toBe('bot');
    expect(texts(p)).toEqual(['echo: hi, my parcel is late', HANDOFF_TEXT, 'echo: one more question']);
    // resolved there already: no note, no status call
    expect(mock.requests.filter((r) => r.path.endsWith('/toggle_status')).map((r) => r.body.status)).toEqual(['open']);
    expect(mock.messages()).toHaveLength(4);

    await agentReply(9040, 'Maria again: about your question...');
    await p.braze.waitForRecipients(4);
    await settled();
    expect(await owner()).toBe('agent');
    expect(texts(p).at(-1)).toBe('Maria again: about your question...');
    expect(mock.messages().slice(4).map((m) => m.content)).toEqual(['one more question', 'Bot: echo: one more question\nHanded to a person (agent_took_over).']);
  });

  test('when the handoff ends outside Chatwoot, then a note says so and the conversation is resolved there; its own resolve webhook changes nothing; a new handoff reopens it with what happened since', async () => {
    let offset = 0;
    const now = () => Date.now() + offset;
    p = await start({ AGENT_IDLE_RELEASE_MINUTES: '60' }, { clock: now });
    await handedOff();
    offset = 61 * 60_000;
    expect(await p.worker.releaseIdleHandoffs()).toEqual({ released: 1 });
    await mock.waitUntil((all) => all.some((r) => r.path.endsWith('/toggle_status') && r.body.status === 'resolved'));
    const echoOfOurResolve = await fromChatwoot(statusChanged({ conversationId: CONVERSATION, status: 'resolved' }), { at: now() });
    await p.finished('chatwoot', echoOfOurResolve.body.id);
    await p.replied({ message: 'back again' });
    await p.replied({ message: 'AGENT' });
    await settled();

    expect(await p.worker.chatwootQueue!.getJob(echoOfOurResolve.body.id).then((j) => j?.returnvalue)).toEqual({ ignored: 'resolved_by_the_bridge' });
    const toggles = mock.requests.filter((r) => r.path.endsWith('/toggle_status')).map((r) => r.body.status);
    expect(toggles).toEqual(['open', 'resolved', 'open']);
    expect(mock.messages().slice(4).map((m) => [m.type, m.private, m.content])).toEqual([
      ['outgoing', true, expect.stringMatching(/^Returned to the bot \(idle, by bridge\)\./)],
      ['incoming', false, 'back again'],
      ['outgoing', true, 'Bot: echo: back again'],
      ['incoming', false, 'AGENT'],
      ['outgoing', true, 'Handed to a person (human).'],
    ]);
  });

  test('when Chatwoot is down in the middle of a transcript and comes back, then every message arrives once, in order', async () => {
    p = await start();
    const isMessage = (method: string, url: string) => method === 'POST' && url.endsWith('/messages');
    const afterTheFirstMessage = (method: string, url: string) => isMessage(method, url) && mock.requests.some((r) => isMessage(r.method, r.path));
    mock.enqueue({ status: 503, match: afterTheFirstMessage }, { status: 503, match: afterTheFirstMessage });
    await handedOff();

    expect(mock.requests.filter((r) => r.scripted).map((r) => r.status)).toEqual([503, 503]);
    expect(mock.messages().map((m) => m.content)).toEqual(['hi, my parcel is late', 'Bot: echo: hi, my parcel is late', 'AGENT', 'Handed to a person (human).']);
    expect(mock.calls().filter((c) => c === 'POST /contacts')).toHaveLength(1);
  });

  test('when Chatwoot answers 429 with Retry-After, then the delivery waits that long without using an attempt and goes through', async () => {
    p = await start({ AGENT_EVENT_ATTEMPTS: '1' });
    mock.enqueue({ status: 429, headers: { 'Retry-After': '1' }, body: { error: 'Too many requests' }, match: (method) => method === 'GET' });
    await handedOff();

    expect(mock.requests[0]).toMatchObject({ status: 429, scripted: true });
    expect(p.logs.lines).toEqual(expect.arrayContaining([expect.objectContaining({ message: 'upstream rate limit: holding the queue', queue: 'agent-events', ms: 1000 })]));
    expect(mock.messages()).toHaveLength(4);
  });

  test('when an agent\'s reply cannot be delivered (the 24-hour window closed), then Chatwoot gets a note saying why and, with CHATWOOT_MARK_FAILED, the failed mark', async () => {
    let offset = 0;
    p = await start({ CHATWOOT_MARK_FAILED: 'true', AGENT_IDLE_RELEASE_MINUTES: '100000' }, { clock: () => Date.now() + offset, ingestClock: () => Date.now() });
    await handedOff();
    offset = 25 * 3_600_000;
    await agentReply(9020, 'Sorry for the wait!');
    await mock.waitUntil((all) => all.some((r) => r.method === 'PATCH'));
    await settled();

    expect(mock.messages().at(-1)).toEqual({ conversation: CONVERSATION, type: 'outgoing', private: true, content: expect.stringMatching(/^Not delivered to WhatsApp: WhatsApp's 24-hour window is closed/) });
    const patch = mock.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.path).toBe(`/api/v1/accounts/1/conversations/${CONVERSATION}/messages/9020`);
    expect(patch.body).toEqual({ status: 'failed', external_error: expect.stringContaining('24-hour window') });
    expect(texts(p)).not.toContain('Sorry for the wait!');
  });

  test('when an agent sends only an attachment, or writes in a conversation the bridge does not know, then a note says why nothing went to WhatsApp', async () => {
    p = await start();
    await handedOff();
    await agentReply(9030, null, { attachments: [{ id: 1, file_type: 'image' }] });
    const unknown = await fromChatwoot(agentMessage({ id: 9031, conversationId: 999, content: 'hello?' }));
    await p.finished('chatwoot', unknown.body.id);

    expect(mock.messages().slice(4)).toEqual([
      { conversation: CONVERSATION, type: 'outgoing', private: true, content: expect.stringMatching(/^Not delivered to WhatsApp: attachments cannot be sent/) },
      { conversation: 999, type: 'outgoing', private: true, content: expect.stringMatching(/^Not delivered to WhatsApp: this Chatwoot conversation is not linked/) },
    ]);
    expect(texts(p)).toEqual(['echo: hi, my parcel is late', HANDOFF_TEXT]);
  });
});
