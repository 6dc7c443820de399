import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { bridgeKeys, conversationIdFor, conversationKeys, readEntry, sendJobIdFor } from '@bridge/shared';
import { startPipeline, type Pipeline } from '../../../../test/helpers/pipeline';
import { eventually } from '../../../../test/helpers/service-process';
import { echoAi, replyText, startStandIn, type RecordedRequest, type StandIn } from '../../../../test/helpers/stand-in-server';
import { assertionRedis } from '../../../../test/helpers/test-env';

const FILE = `
routes:
  - name: human
    match: { keywords: [AGENT, HUMANO] }
    action: handoff
`;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const TOKEN = 'agent-api-token-0123456789abcdef';
const HANDOFF_TEXT = 'A person will answer you here shortly.';
const conversationId = conversationIdFor({ external_user_id: 'user-1' });

const sends = (p: Pipeline) => p.braze.requests.filter((r) => r.path === '/campaigns/trigger/send');
const texts = (p: Pipeline) => sends(p).map((r) => replyText(r.body));

describe('live agents: handoff, the agent API, signed events', () => {
  let dir: string;
  let conversationFile: string;
  let receiver: StandIn;
  let p: Pipeline;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-agents-'));
    conversationFile = path.join(dir, 'conversation.yaml');
    writeFileSync(conversationFile, FILE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => { receiver = await startStandIn(() => ({ status: 204 })); });
  afterEach(async () => {
    await p.stop();
    await receiver.close();
  });

  const start = (env: Record<string, string> = {}, options: Parameters<typeof startPipeline>[1] = {}) => startPipeline({
    CONVERSATION_FILE: conversationFile, AGENT_WEBHOOK_URL: receiver.url, AGENT_WEBHOOK_SECRET: SECRET, BRAZE_AGENT_CAMPAIGN_ID: 'agent-campaign', ...env,
  }, { ingestEnv: { CONVERSATION_FILE: conversationFile, AGENT_API_TOKEN: TOKEN }, ...options });
  const api = (method: 'get' | 'post', route: string, body?: unknown) => {
    const req = request(p.ingest.app)[method](route).set('Authorization', `Bearer ${TOKEN}`);
    return body === undefined ? req : req.set('Content-Type', 'application/json').send(JSON.stringify(body));
  };
  /** events the receiver got, verified as a Standard Webhooks receiver does */
  const verified = (requests: RecordedRequest[] = receiver.requests) => requests.map((r) => new Webhook(SECRET).verify(r.raw, r.headers as Record<string, string>) as { type: string; data: any });
  const waitForEvents = (n: number) => receiver.waitUntil((all) => all.filter((r) => r.headers['webhook-signature']).length >= n);
  /** sends an agent reply through the API and waits until Braze took it */
  async function agentSays(message: string, target: Record<string, unknown> = { user_id: 'user-1' }) {
    const res = await api('post', '/agent/messages', { ...target, message, agent_name: 'Maria' });
    expect(res.status).toBe(202);
    await p.finished('send', res.body.id);
    return res.body;
  }

  test('when a customer asks for a person, then the bot hands off, stays silent while the agent answers, and answers with context after "return to bot"', async () => {
    p = await start();
    await p.replied({ message: 'hi, my parcel is late' });
    await p.replied({ message: 'AGENT' });
    const during = await p.post({ message: 'are you there?' });
    await p.finished('generate', during);
    await agentSays('Hi, Maria here. Let me look.');
    const released = await api('post', '/agent/release', { user_id: 'user-1', agent_name: 'Maria' });
    await p.replied({ message: 'thanks, anything else I need to do?' });
    await waitForEvents(4);

    expect(released.body).toEqual({ conversation_id: conversationId, owner: 'bot', released: true });
    expect(texts(p)).toEqual(['echo: hi, my parcel is late', HANDOFF_TEXT, 'Hi, Maria here. Let me look.', 'echo: thanks, anything else I need to do?']);
    expect(sends(p)[2]!.body.campaign_id).toBe('agent-campaign');
    expect(p.ai.requests).toHaveLength(2);
    const history = p.ai.requests[1]!.body.messages.map((m: { role: string; content: string }) => `${m.role}: ${m.content}`);
    expect(history).toEqual([
      'system: You are a test assistant.',
      'user: hi, my parcel is late', 'assistant: echo: hi, my parcel is late',
      'user: AGENT', `assistant: ${HANDOFF_TEXT}`,
      'user: are you there?', 'assistant: Hi, Maria here. Let me look.',
      expect.stringMatching(/^system: A person from the support team handled this conversation from \S+ to \S+\.$/),
      'user: thanks, anything else I need to do?',
    ]);

    const events = verified();
    expect(events.map((e) => e.type)).toEqual(['handoff.started', 'message.received', 'message.sent', 'handoff.ended']);
    expect(events[0]!.data).toMatchObject({
      conversation_id: conversationId, user_id: 'user-1', braze_id: 'braze-1', phone: '+15550000001', reason: 'human',
      transcript: [
        { from: 'customer', text: 'hi, my parcel is late' }, { from: 'bot', text: 'echo: hi, my parcel is late' },
        { from: 'customer', text: 'AGENT' }, { from: 'note', kind: 'handoff_started' },
      ],
    });
    expect(events[1]!.data).toMatchObject({ message: { text: 'are you there?' } });
    expect(events[2]!.data).toMatchObject({ message: { text: 'Hi, Maria here. Let me look.', agent_name: 'Maria' }, dispatch_id: 'dispatch-1' });
    expect(events[3]!.data).toMatchObject({ by: 'Maria', reason: 'released' });
    const ids = receiver.requests.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('when a person takes over while an AI reply is being generated, then that reply is not delivered and the agent sees it as a draft', async () => {
    p = await start();
    let answer!: () => void;
    const held = new Promise<void>((resolve) => { answer = resolve; });
    p.ai.setScript(async (req, i) => { await held; return echoAi(req, i); });
    const id = await p.post({ message: 'question in flight' });
    await p.ai.waitForRequests(1);
    const takeover = await api('post', '/agent/handoff', { user_id: 'user-1', reason: 'supervisor' });
    answer();
    await p.finished('generate', id);
    await p.braze.waitUntil(() => sends(p).length >= 1);

    expect(takeover.status).toBe(200);
    expect(texts(p)).toEqual([HANDOFF_TEXT]);
    const transcript = (await api('get', `/agent/conversations/${conversationId}/messages`)).body.messages;
    expect(transcript).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'bot', text: 'echo: question in flight', draft: true })]));
    await waitForEvents(2);
    expect(verified().map((e) => e.type)).toEqual(['handoff.started', 'message.received']);
  });

  test('when the bot\'s reply is queued and a person takes over before it leaves, then it is dropped right before the send', async () => {
    p = await start();
    // the reply queue is paused for every worker: the reply waits, decided, until the takeover
    await p.worker.sendQueue.pause();
    const id = await p.post({ message: 'reply me' });
    await eventually(async () => (await p.worker.sendQueue.getJob(sendJobIdFor(id))) ?? false);
    await api('post', '/agent/handoff', { user_id: 'user-1' });
    await p.worker.sendQueue.resume();
    const result = await p.finished('send', sendJobIdFor(id));

    expect(result).toMatchObject({ droppedForAgent: 1 });
    expect(texts(p)).not.toContain('echo: reply me');
    const transcript = (await api('get', `/agent/conversations/${conversationId}/messages`)).body.messages;
    expect(transcript).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'bot', text: 'echo: reply me', draft: true })]));
  });

  test('when the event receiver is down for a while, then every event arrives once, in order, after it recovers', async () => {
    p = await start();
    let down = 3;
    receiver.setScript(() => (down-- > 0 ? { status: 503 } : { status: 200, body: {} }));
    await p.replied({ message: 'AGENT' });
    for (const m of ['one', 'two', 'three']) await p.finished('generate', await p.post({ message: m }));
    await receiver.waitUntil((all) => all.length >= 3 + 4);

    const delivered = verified(receiver.requests.slice(3));
    expect(delivered.map((e) => `${e.type}${e.data.message ? `:${e.data.message.text}` : ''}`)).toEqual(['handoff.started', 'message.received:one', 'message.received:two', 'message.received:three']);
    const retriedId = receiver.requests[0]!.headers['webhook-id'];
    expect(receiver.requests.slice(0, 4).map((r) => r.headers['webhook-id'])).toEqual([retriedId, retriedId, retriedId, retriedId]);
  });

  test('when an agent sends many replies at once to two workers, then the customer gets them in order, each once', async () => {
    p = await start({ WORKER_CONCURRENCY: '5' });
    const extra = p.startExtraWorker({ WORKER_CONCURRENCY: '5' });
    await p.replied({ message: 'AGENT' });
    const ids: string[] = [];
    for (let n = 1; n <= 12; n++) ids.push((await api('post', '/agent/messages', { user_id: 'user-1', message: `part ${n}` })).body.id);
    await Promise.all(ids.map((id) => p.finished('send', id)));
    await extra.close();

    expect(texts(p).slice(1)).toEqual(Array.from({ length: 12 }, (_, i) => `part ${i + 1}`));
  });

  test('when the same agent message is sent twice with its message_id, then the customer gets it once', async () => {
    p = await start();
    await p.replied({ message: 'AGENT' });
    const body = { user_id: 'user-1', message: 'only once', message_id: 'desk-msg-1' };
    const first = await api('post', '/agent/messages', body);
    const again = await api('post', '/agent/messages', body);
    await p.finished('send', first.body.id);

    expect([first.status, again.status]).toEqual([202, 200]);
    expect(again.body).toMatchObject({ status: 'duplicate', id: first.body.id });
    expect(texts(p).filter((t) => t === 'only once')).toHaveLength(1);
  });

  test('when no agent writes for AGENT_IDLE_RELEASE_MINUTES, then the conversation goes back to the bot', async () => {
    let now = Date.now();
    p = await start({ AGENT_IDLE_RELEASE_MINUTES: '60' }, { clock: () => now });
    await p.replied({ message: 'AGENT' });
    now += 59 * 60_000;
    expect(await p.worker.releaseIdleHandoffs()).toEqual({ released: 0 });
    now += 2 * 60_000;
    expect(await p.worker.releaseIdleHandoffs()).toEqual({ released: 1 });
    await p.replied({ message: 'hello?' });
    await waitForEvents(2);

    expect(texts(p)).toEqual([HANDOFF_TEXT, 'echo: hello?']);
    expect(verified().at(-1)).toMatchObject({ type: 'handoff.ended', data: { reason: 'idle', by: 'bridge' } });
  });

  test('when an agent replies after the 24-hour window closed, then the reply fails and the agents hear why', async () => {
    const receivedAt = Date.now() - 25 * 3_600_000;
    p = await start({}, { ingestClock: () => receivedAt });
    await p.finished('generate', await p.post({ message: 'old message' })).catch(() => undefined);
    const res = await api('post', '/agent/messages', { user_id: 'user-1', message: 'sorry for the wait' });
    await expect(p.finished('send', res.body.id)).rejects.toThrow(/^OUTSIDE_WHATSAPP_WINDOW: last inbound/);
    await receiver.waitUntil((all) => verified(all).some((e) => e.type === 'message.failed'));

    expect(verified().find((e) => e.type === 'message.failed')!.data).toMatchObject({ reason: 'OUTSIDE_WHATSAPP_WINDOW', message: { text: 'sorry for the wait' } });
    const notes = (await api('get', `/agent/conversations/${conversationId}/messages`)).body.messages.filter((m: { kind?: string }) => m.kind === 'delivery_failed');
    expect(notes).toHaveLength(1);
    expect(sends(p)).toHaveLength(0);
  });

  test('when the AI fails for good and LIVE_AGENTS is on, then a person takes over instead of the fallback', async () => {
    p = await start({ LIVE_AGENTS: 'true' });
    p.ai.enqueue({ status: 400, body: { error: { message: 'context_length_exceeded' } } });
    const id = await p.post({ message: 'a very long story' });
    await expect(p.finished('generate', id)).rejects.toThrow(/UPSTREAM_REJECTED/);
    await p.finished('send', sendJobIdFor(id));
    await waitForEvents(1);

    expect(texts(p)).toEqual([HANDOFF_TEXT]);
    expect(verified()[0]).toMatchObject({ type: 'handoff.started', data: { reason: 'ai_failed', transcript: expect.arrayContaining([expect.objectContaining({ from: 'customer', text: 'a very long story' })]) } });
  });

  test('when agent assist is on, then each customer message during a handoff carries a suggested reply that is never sent', async () => {
    p = await start({ AGENT_ASSIST: 'true' });
    await p.replied({ message: 'AGENT' });
    await p.finished('generate', await p.post({ message: 'can I change the address?' }));
    await waitForEvents(2);

    expect(verified()[1]).toMatchObject({ type: 'message.received', data: { suggested_reply: 'echo: can I change the address?' } });
    expect(texts(p)).toEqual([HANDOFF_TEXT]);
    const entries = (await assertionRedisLines(p)).filter((e) => e.who === 'customer');
    expect(entries.at(-1)).toMatchObject({ suggested: 'echo: can I change the address?' });
    const transcript = (await api('get', `/agent/conversations/${conversationId}/messages`)).body.messages;
    expect(transcript.at(-1)).toEqual(expect.objectContaining({ from: 'customer', text: 'can I change the address?', suggested_reply: 'echo: can I change the address?' }));
  });

  test('when the bot\'s handoff text reaches the transcript, then the agent console\'s feed hears of the conversation again', async () => {
    // Arrange: the console's live feed, as the dashboard subscribes to it
    p = await start();
    const subscriber = assertionRedis();
    const heard: string[] = [];
    let twice!: () => void;
    const heardTwice = new Promise<void>((resolve) => { twice = resolve; });
    subscriber.on('message', (_channel: string, id: string) => { if (heard.push(id) === 2) twice(); });
    await subscriber.subscribe(bridgeKeys(p.prefix).agentsFeed);

    // Act
    await p.replied({ message: 'AGENT' });
    await heardTwice;
    subscriber.disconnect();

    // Assert: once for the handoff, once when the text Braze took was written
    expect(heard).toEqual([conversationId, conversationId]);
    expect((await assertionRedisLines(p)).map((e) => e.who)).toEqual(['customer', 'note', 'bot']);
  });

  test('when the console lists conversations, then a handed-off one shows with its identity, reason and last message', async () => {
    p = await start();
    await p.replied({ message: 'AGENT' });
    await p.finished('generate', await p.post({ message: 'still waiting' }));
    const list = await api('get', '/agent/conversations');

    expect(list.body.conversations).toEqual([expect.objectContaining({
      conversation_id: conversationId, user_id: 'user-1', braze_id: 'braze-1', reason: 'human', unanswered: 1,
      last_message: expect.objectContaining({ who: 'customer', text: 'still waiting' }),
    })]);
  });
});

async function assertionRedisLines(p: Pipeline) {
  const redis = assertionRedis();
  try {
    return (await redis.lrange(conversationKeys(p.prefix, conversationId).history, 0, -1)).map(readEntry).filter((e) => e !== undefined) as unknown as Array<Record<string, unknown>>;
  } finally {
    redis.disconnect();
  }
}
