import request from 'supertest';
import { Redis } from 'ioredis';
import { conversationIdFor } from '@bridge/shared';
import { loadConfig } from '../../src/config';
import { createIngestApp, type IngestApp } from '../../src/ingest-app';
import { captureLogger } from '../../../../test/helpers/capture-logger';
import { ingestEnv, testRedisUrl, uniquePrefix } from '../../../../test/helpers/test-env';

const TOKEN = 'agent-api-token-0123456789abcdef';
const NEXT_TOKEN = 'next-agent-api-token-abcdef0123';

describe('the agent API on a real Redis: bad input', () => {
  let prefix: string;
  let ingest: IngestApp;
  let redis: Redis;

  beforeEach(async () => {
    prefix = uniquePrefix();
    ingest = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), prefix, { AGENT_API_TOKEN: `${TOKEN},${NEXT_TOKEN}`, INGEST_MAX_BODY_BYTES: '2048' })), captureLogger().log);
    redis = new Redis(testRedisUrl());
    await ingest.queue.waitUntilReady();
  });
  afterEach(async () => {
    await ingest.close();
    redis.disconnect();
  });

  /** conversation data and jobs the request would have written */
  const keysOfTest = () => redis.keys(`${prefix}:conv:*`).then(async (conv) => [...conv, ...(await redis.keys(`${prefix}:*:[0-9a-f]*-*`))]);
  const post = (route: string, body: string | object, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }) => {
    const req = request(ingest.app).post(route);
    for (const [k, v] of Object.entries(headers)) req.set(k, v);
    return req.send(typeof body === 'string' ? body : JSON.stringify(body));
  };

  test.each([
    ['no Authorization header', {}, 401, 'UNAUTHORIZED'],
    ['a wrong token', { Authorization: 'Bearer not-the-token-at-all-0000000', 'Content-Type': 'application/json' }, 401, 'UNAUTHORIZED'],
    ['the webhook secret scheme instead of Bearer', { 'X-Webhook-Secret': TOKEN, 'Content-Type': 'application/json' }, 401, 'UNAUTHORIZED'],
    ['a form body', { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-www-form-urlencoded' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('when a request has %s, then it is refused and nothing is written', async (_case, headers, status, code) => {
    const res = await post('/agent/messages', { user_id: 'u1', message: 'hi' }, headers as Record<string, string>);

    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await keysOfTest()).toEqual([]);
  });

  test.each([
    ['/agent/messages', 'not json', 400, 'INVALID_JSON', undefined],
    ['/agent/messages', { message: 'hi' }, 400, 'INVALID_PAYLOAD', 'user_id'],
    ['/agent/messages', { user_id: 'u1' }, 400, 'INVALID_PAYLOAD', 'message'],
    ['/agent/messages', { user_id: 'u1', message: '   ' }, 400, 'INVALID_PAYLOAD', 'message'],
    ['/agent/messages', { user_id: 'u1', message: 'x'.repeat(4097) }, 413, 'PAYLOAD_TOO_LARGE', undefined],
    ['/agent/messages', { user_id: 'u1', message: 42 }, 400, 'INVALID_PAYLOAD', 'message'],
    ['/agent/messages', { conversation_id: 'not-an-id', message: 'hi' }, 400, 'INVALID_PAYLOAD', 'conversation_id'],
    ['/agent/messages', [1, 2], 400, 'INVALID_PAYLOAD', 'body'],
    ['/agent/handoff', { braze_id: '' }, 400, 'INVALID_PAYLOAD', 'braze_id'],
    ['/agent/handoff', { user_id: 'u1', reason: 'r'.repeat(201) }, 400, 'INVALID_PAYLOAD', 'reason'],
    ['/agent/release', {}, 400, 'INVALID_PAYLOAD', 'user_id'],
  ])('when %s gets a bad body (case %#), then the answer names the problem and nothing is written', async (route, body, status, code, field) => {
    const res = await post(route, body);

    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    if (field) expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await keysOfTest()).toEqual([]);
  });

  test('when a message is over WhatsApp\'s 4096 characters but the body fits, then the answer is 400 naming message', async () => {
    await ingest.close();
    ingest = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), prefix, { AGENT_API_TOKEN: TOKEN })), captureLogger().log);
    const res = await post('/agent/messages', { user_id: 'u1', message: 'x'.repeat(4097) });

    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'message', problem: expect.stringContaining('4096') })]);
  });

  test('when a conversation id is unknown, then its transcript and a reply to it are 404', async () => {
    const id = conversationIdFor({ external_user_id: 'never-wrote' });
    const read = await request(ingest.app).get(`/agent/conversations/${id}/messages`).set('Authorization', `Bearer ${TOKEN}`);
    const reply = await post('/agent/messages', { conversation_id: id, message: 'hello?' });

    expect([read.status, reply.status]).toEqual([404, 404]);
    expect(read.body.error.code).toBe('UNKNOWN_CONVERSATION');
    expect(await keysOfTest()).toEqual([]);
  });

  test('when the next token of a rotation is used, then it is accepted like the current one', async () => {
    const res = await request(ingest.app).get('/agent/conversations').set('Authorization', `Bearer ${NEXT_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ conversations: [] });
  });

  test('when AGENT_API_TOKEN is not set, then the agent API does not exist', async () => {
    const off = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), prefix)), captureLogger().log);
    const res = await request(off.app).get('/agent/conversations').set('Authorization', `Bearer ${TOKEN}`);
    await off.close();

    expect(res.status).toBe(404);
  });

  test('when an agent writes to a user who never wrote, then the conversation is taken over and the reply queued', async () => {
    const res = await post('/agent/messages', { user_id: 'u-new', message: 'Hello from support', agent_name: 'Maria' });

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'queued', id: expect.any(String), conversation_id: conversationIdFor({ external_user_id: 'u-new' }) });
    const list = await request(ingest.app).get('/agent/conversations').set('Authorization', `Bearer ${TOKEN}`);
    expect(list.body.conversations).toEqual([expect.objectContaining({ user_id: 'u-new', reason: 'agent_took_over', agent_name: 'Maria' })]);
  });
});
