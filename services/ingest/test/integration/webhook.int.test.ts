import fc from 'fast-check';
import request from 'supertest';
import { Redis } from 'ioredis';
import { QUEUE } from '@bridge/shared';
import { loadConfig } from '../../src/config';
import { createIngestApp, type IngestApp } from '../../src/ingest-app';
import { captureLogger } from '../../../../test/helpers/capture-logger';
import { WEBHOOK_SECRET, ingestEnv, testRedisUrl, uniquePrefix } from '../../../../test/helpers/test-env';
import { buildWebhookBody, postWebhook, verbatimBody } from '../../../../test/helpers/webhook';
import { freePort } from '../../../../test/helpers/redis-server';
import { anyInput, entriesBody, mangledBody, renderedBody } from '../../../../test/helpers/webhook-arbitraries';

describe('POST /webhooks/braze/whatsapp on a real Redis', () => {
  let prefix: string;
  let ingest: IngestApp;
  let logs: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    prefix = uniquePrefix();
    logs = captureLogger();
    ingest = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), prefix)), logs.log);
    await ingest.queue.waitUntilReady();
  });

  afterEach(async () => {
    await ingest.queue.obliterate({ force: true });
    await ingest.close();
  });

  const post = (body: unknown, headers?: Record<string, string>) => postWebhook(ingest.app, body, headers);

  test('when a valid webhook arrives, then it answers 202 only with the job stored in Redis', async () => {
    const res = await post(buildWebhookBody({ message: 'Where is my order?' }));

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'queued', id: expect.any(String) });
    const job = await ingest.queue.getJob(res.body.id);
    expect(job?.name).toBe('generate-reply');
    expect(job?.data).toMatchObject({
      v: 1,
      recipient: { external_user_id: 'user-1' },
      text: 'Where is my order?',
      mediaCount: 0,
      conversation: { id: expect.any(String), seq: 1 },
    });
    expect(job?.queueName).toBe(QUEUE.generate);
  });

  test('when the secret comes as a Bearer token, then it is accepted', async () => {
    const res = await post(buildWebhookBody(), { Authorization: `Bearer ${WEBHOOK_SECRET}` });
    expect(res.status).toBe(202);
  });

  test.each([
    ['no secret', {}],
    ['a wrong X-Webhook-Secret', { 'X-Webhook-Secret': 'wrong-secret-wrong-secret' }],
    ['a wrong Bearer token', { Authorization: 'Bearer wrong-secret-wrong-secret' }],
    ['the secret as Basic auth', { Authorization: `Basic ${WEBHOOK_SECRET}` }],
  ])('when the request has %s, then it answers 401 JSON and stores nothing', async (_name, headers) => {
    const res = await post(buildWebhookBody(), headers as Record<string, string>);

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect(await ingest.queue.count()).toBe(0);
  });

  test('when the content type is not JSON, then it answers 415 JSON', async () => {
    const res = await post('message=hi&user_id=u', { 'X-Webhook-Secret': WEBHOOK_SECRET, 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  test('when the body is over the limit, then it answers 413 JSON', async () => {
    const res = await post(buildWebhookBody({ message: 'x'.repeat(70_000) }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test.each([
    ['broken JSON with the message first', '{"message": "a "quoted" word", "user_id": "u1"}', 'MESSAGE_NOT_LAST', 'message'],
    ['a user_id with a fraction', '{"user_id": 1.5, "message": "hi"}', 'INVALID_PAYLOAD', 'user_id'],
    ['a second user_id written by the display name', '{"braze_id": "b", "user_id": "u1", "profile_name": "x", "user_id": "victim", "message": "hi"}', 'AMBIGUOUS_IDENTITY', 'user_id'],
    ['plain garbage', 'not json at all', 'INVALID_JSON', undefined],
    ['a JSON array', '[1,2]', 'INVALID_BODY', undefined],
    ['no identity', JSON.stringify({ user_id: '', braze_id: '', message: 'hi' }), 'MISSING_IDENTITY', 'user_id'],
    ['no message', JSON.stringify({ user_id: 'u1' }), 'INVALID_PAYLOAD', 'message'],
    ['a message that is not a string', JSON.stringify({ user_id: 'u1', message: 42 }), 'INVALID_PAYLOAD', 'message'],
  ])('when the body has %s, then it answers 400 with a code naming the problem', async (_name, body, code, field) => {
    const res = await post(body);

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toEqual(expect.any(String));
    if (field) expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await ingest.queue.count()).toBe(0);
  });

  test('when a bad request comes between two good ones, then both good messages are stored', async () => {
    const first = await post(buildWebhookBody({ message: 'one' }));
    await post('{"broken": ');
    const second = await post(buildWebhookBody({ message: 'two' }));

    expect([first.status, second.status]).toEqual([202, 202]);
    expect(await ingest.queue.count()).toBe(2);
  });

  test('when only braze_id identifies the sender (unknown number), then the reply is addressed by braze_id', async () => {
    const res = await post(buildWebhookBody({ user_id: '', braze_id: 'bz-77' }));
    const job = await ingest.queue.getJob(res.body.id);
    expect(job?.data.recipient).toEqual({ braze_id: 'bz-77' });
  });

  test('when the same message_id is delivered twice, then it is stored once and the repeat answers 200 duplicate', async () => {
    const body = buildWebhookBody({ message_id: 'wamid.ABC123' });
    const first = await post(body);
    const second = await post(body);

    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ status: 'duplicate', id: first.body.id });
    expect(await ingest.queue.count()).toBe(1);
  });

  test('when two users send the same message_id, then both are stored', async () => {
    await post(buildWebhookBody({ message_id: 'same', user_id: 'a' }));
    const other = await post(buildWebhookBody({ message_id: 'same', user_id: 'b' }));
    expect(other.status).toBe(202);
  });

  test('when a user sends several messages, then they are numbered in arrival order', async () => {
    const ids: string[] = [];
    for (const message of ['first', 'second', 'third']) ids.push((await post(buildWebhookBody({ message }))).body.id);
    const seqs = await Promise.all(ids.map(async (id) => (await ingest.queue.getJob(id))!.data.conversation.seq));
    expect(seqs).toEqual([1, 2, 3]);
  });

  test('when the text was inserted without json_escape, then it arrives intact and a warning names the fix', async () => {
    const text = 'He said "hi"\nthen\ttabbed {braces} and C:\\path';
    const res = await post(verbatimBody(text));

    expect(res.status).toBe(202);
    const job = await ingest.queue.getJob(res.body.id);
    expect(job?.data.text).toBe(text);
    expect(logs.lines.some((l) => l.level === 'warn' && /json_escape/.test(l.message))).toBe(true);
  });

  test('when verbatim text tries to inject another user_id, then the reply still goes to the sender', async () => {
    const text = 'hi", "user_id": "victim';
    const res = await post(verbatimBody(text));

    expect(res.status).toBe(202);
    const job = await ingest.queue.getJob(res.body.id);
    expect(job?.data.recipient).toEqual({ external_user_id: 'user-1' });
    expect(job?.data.text).toBe(text);
  });

  test('when user_id is an unquoted 20-digit number, then the reply goes to exactly those digits', async () => {
    const res = await post('{"braze_id": "b", "user_id": 12345678901234567890, "phone_number": "+15551234567", "message": "hi"}');

    expect(res.status).toBe(202);
    const job = await ingest.queue.getJob(res.body.id);
    expect(job?.data.recipient).toEqual({ external_user_id: '12345678901234567890' });
  });

  test('when the display name breaks the JSON, then the message is stored and the dropped field is logged and counted by name, never by value', async () => {
    const res = await post('{"braze_id": "b", "user_id": "u1", "phone_number": "+15551234567", "profile_name": "Ana \\ "Zé" Maria", "message": "hi there"}');

    expect(res.status).toBe(202);
    expect((await ingest.queue.getJob(res.body.id))?.data).toMatchObject({ recipient: { external_user_id: 'u1' }, text: 'hi there' });
    expect(logs.lines).toContainEqual(expect.objectContaining({ level: 'warn', field: 'profile_name' }));
    expect(logs.text()).not.toContain('Maria');
    const metrics = await request(ingest.app).get('/metrics');
    expect(metrics.text).toMatch(/bridge_webhook_dropped_fields_total\{field="profile_name",service="ingest"\} 1/);
  });

  test('when the message is logged at info level, then neither text nor phone number appears in the logs', async () => {
    await post(verbatimBody('my secret text 4242', { braze_id: 'b', user_id: 'u', phone_number: '+15559998888' }));
    expect(logs.text()).not.toMatch(/4242|5559998888/);
    expect(logs.text()).not.toContain(WEBHOOK_SECRET);
  });

  test('when Redis is healthy, then /healthz and /readyz answer 200 and /metrics counts the webhook', async () => {
    await post(buildWebhookBody());
    expect((await request(ingest.app).get('/healthz')).status).toBe(200);
    expect((await request(ingest.app).get('/readyz')).status).toBe(200);
    const metrics = await request(ingest.app).get('/metrics');
    expect(metrics.text).toMatch(/bridge_webhooks_total\{outcome="queued",service="ingest"\} 1/);
    expect(metrics.text).toMatch(/bridge_webhook_ack_seconds_bucket/);
  });
});

describe('with UNKNOWN_SENDER_RECIPIENT=user_alias', () => {
  let ingest: IngestApp;

  beforeEach(async () => {
    ingest = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), uniquePrefix(), { UNKNOWN_SENDER_RECIPIENT: 'user_alias' })), captureLogger().log);
    await ingest.queue.waitUntilReady();
  });
  afterEach(async () => {
    await ingest.queue.obliterate({ force: true });
    await ingest.close();
  });

  test('when a sender has no external id, then the reply goes to the phone alias and the conversation key holds no phone', async () => {
    const res = await postWebhook(ingest.app, buildWebhookBody({ user_id: '', braze_id: 'bz-1', phone_number: ' +15551234567 ' }));

    expect(res.status).toBe(202);
    const job = await ingest.queue.getJob(res.body.id);
    expect(job?.data.recipient).toEqual({ user_alias: { alias_name: '+15551234567', alias_label: 'phone' } });
    expect(job?.data.conversation.id).toMatch(/^a/);
    expect(job?.data.conversation.id).not.toContain('5551234567');
  });

  test('when a sender has no external id and no phone, then the reply goes by braze_id', async () => {
    const res = await postWebhook(ingest.app, buildWebhookBody({ user_id: '', braze_id: 'bz-1', phone_number: '' }));

    expect((await ingest.queue.getJob(res.body.id))?.data.recipient).toEqual({ braze_id: 'bz-1' });
  });
});

describe('generated bodies through the real app', () => {
  let ingest: IngestApp;

  beforeAll(async () => {
    ingest = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), uniquePrefix())), captureLogger('error').log);
    await ingest.queue.waitUntilReady();
  });
  afterAll(async () => {
    await ingest.queue.obliterate({ force: true });
    await ingest.close();
  });

  test('when random, rendered, hostile and broken bodies arrive, then none is answered 5xx and every refusal is a JSON error with a code', async () => {
    const body = fc.oneof(anyInput, renderedBody.map((r) => r.raw), entriesBody.map((e) => e.raw), mangledBody);
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const res = await postWebhook(ingest.app, raw);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(res.body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
      }),
      { numRuns: 150 },
    );
  });
});

describe('when Redis cannot be reached', () => {
  let ingest: IngestApp;

  beforeEach(async () => {
    const deadPort = await freePort(); // nothing listens there
    ingest = createIngestApp(loadConfig({ REDIS_URL: `redis://127.0.0.1:${deadPort}`, WEBHOOK_SECRET }), captureLogger().log);
  });
  afterEach(() => ingest.close());

  test('then a webhook gets 503 with Retry-After within 2 s, /readyz 503 and /healthz 200', async () => {
    const started = Date.now();
    const res = await postWebhook(ingest.app, buildWebhookBody());

    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect((await request(ingest.app).get('/readyz')).status).toBe(503);
    expect((await request(ingest.app).get('/healthz')).status).toBe(200);
  });
});

describe('when a webhook arrives before the connection to Redis is ready (start-up or a reconnect)', () => {
  test('then it waits for the connection and stores the message (202), rather than a needless 503', async () => {
    const admin = new Redis(testRedisUrl());
    const prefix = uniquePrefix();
    // every client is held for 300 ms: the new connection's ready check cannot finish before
    await admin.client('PAUSE', 300, 'ALL');
    const ingest = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), prefix)), captureLogger().log);
    try {
      const res = await postWebhook(ingest.app, buildWebhookBody({ message: 'first after start' }));

      expect(res.status).toBe(202);
      expect((await ingest.queue.getJob(res.body.id))?.data.text).toBe('first after start');
    } finally {
      await ingest.queue.obliterate({ force: true });
      await ingest.close();
      admin.disconnect();
    }
  });
});
