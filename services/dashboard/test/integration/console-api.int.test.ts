import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type express from 'express';
import { ALL_QUEUES, DEFAULT_HANDOFF_TEXT, QUEUE, bridgeKeys, conversationIdFor, conversationKeys, createHttpServer, listen, type SendReplyJob } from '@bridge/shared';
import { ADMIN, AGENT, basic, makeConsoleDashboard } from '../helpers/dashboard-app';
import { testRedisUrl, uniquePrefix } from '../../../../test/helpers/test-env';

describe('the agent console\'s API on a real Redis', () => {
  let redis: Redis;
  let subscriber: Redis;
  let queues: Queue[];
  let prefix: string;
  let app: express.Express;
  let close: () => Promise<void>;

  beforeEach(async () => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    subscriber = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    await redis.ping();
    prefix = uniquePrefix();
    queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix }));
    ({ app, close } = await makeConsoleDashboard(queues, redis, subscriber, prefix));
  });
  afterEach(async () => {
    await close();
    for (const q of queues) await q.obliterate({ force: true });
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    subscriber.disconnect();
  });

  /** conversation data and jobs a request would have written (login counters are not) */
  const writtenKeys = () => redis.keys(`${prefix}:*`).then((keys) => keys.filter((k) => !k.includes(':login-failures:') && !k.endsWith(':meta') && !k.endsWith(':id')));
  const sendJobs = async () => (await queues.find((q) => q.name === QUEUE.send)!.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.data as SendReplyJob);
  const post = (route: string, body: string | object, user = AGENT, headers: Record<string, string> = { 'Content-Type': 'application/json' }) => {
    const req = request(app).post(route).set('Authorization', basic(user));
    for (const [k, v] of Object.entries(headers)) req.set(k, v);
    return req.send(typeof body === 'string' ? body : JSON.stringify(body));
  };

  describe('bad input', () => {
    test.each([
      ['GET', '/agent'],
      ['GET', '/agent/api/conversations'],
      ['GET', '/agent/api/events'],
      ['POST', '/agent/api/messages'],
    ])('when %s %s comes without credentials, then it answers 401 with a Basic challenge', async (method, route) => {
      const res = await (method === 'GET' ? request(app).get(route) : request(app).post(route).set('Content-Type', 'application/json').send('{}'));

      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic/);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    });

    test.each([
      ['/agent/api/messages', 'not json', 400, 'INVALID_JSON', undefined],
      ['/agent/api/messages', { message: 'hi' }, 400, 'INVALID_PAYLOAD', 'user_id'],
      ['/agent/api/messages', { user_id: 'u1' }, 400, 'INVALID_PAYLOAD', 'message'],
      ['/agent/api/messages', { user_id: 'u1', message: '   ' }, 400, 'INVALID_PAYLOAD', 'message'],
      ['/agent/api/messages', { user_id: 'u1', message: 42 }, 400, 'INVALID_PAYLOAD', 'message'],
      ['/agent/api/messages', { user_id: 'u1', message: 'x'.repeat(4097) }, 400, 'INVALID_PAYLOAD', 'message'],
      ['/agent/api/messages', { user_id: 'u1', message: 'hi', message_id: '' }, 400, 'INVALID_PAYLOAD', 'message_id'],
      ['/agent/api/messages', { conversation_id: 'not-an-id', message: 'hi' }, 400, 'INVALID_PAYLOAD', 'conversation_id'],
      ['/agent/api/messages', [1, 2], 400, 'INVALID_PAYLOAD', 'body'],
      ['/agent/api/messages', { user_id: 'u1', message: 'x'.repeat(70_000) }, 413, 'PAYLOAD_TOO_LARGE', undefined],
      ['/agent/api/handoff', { braze_id: '' }, 400, 'INVALID_PAYLOAD', 'braze_id'],
      ['/agent/api/handoff', { user_id: 'u1', reason: 'r'.repeat(201) }, 400, 'INVALID_PAYLOAD', 'reason'],
      ['/agent/api/release', {}, 400, 'INVALID_PAYLOAD', 'user_id'],
    ])('when %s gets a bad body (case %#), then the answer names the problem and nothing is written', async (route, body, status, code, field) => {
      const res = await post(route, body);

      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      if (field) expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await writtenKeys()).toEqual([]);
    });

    test('when a write is not JSON (a form post), then it answers 415 and nothing is written', async () => {
      const res = await post('/agent/api/messages', 'user_id=u1&message=hi', AGENT, { 'Content-Type': 'application/x-www-form-urlencoded' });

      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(await writtenKeys()).toEqual([]);
    });

    test('when a conversation id is unknown, then its transcript and a reply to it are 404', async () => {
      const id = conversationIdFor({ external_user_id: 'never-wrote' });
      const read = await request(app).get(`/agent/api/conversations/${id}/messages`).set('Authorization', basic(AGENT));
      const reply = await post('/agent/api/messages', { conversation_id: id, message: 'hello?' });

      expect([read.status, reply.status]).toEqual([404, 404]);
      expect(read.body.error.code).toBe('UNKNOWN_CONVERSATION');
      expect(reply.body.error.code).toBe('UNKNOWN_CONVERSATION');
      expect(await writtenKeys()).toEqual([]);
    });

    test('when a transcript is asked for with a malformed id, then it answers 400 naming conversation_id', async () => {
      const res = await request(app).get('/agent/api/conversations/user-1/messages').set('Authorization', basic(AGENT));

      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'conversation_id' })]);
    });

    test.each([
      ['another site', 'https://evil.example', 403],
      ['this host', undefined, 202],
    ])('when a reply is posted from %s, then it answers %s', async (_case, foreign, status) => {
      // Arrange: a real port, so Origin and Host compare as a browser sends them
      const server: http.Server = createHttpServer(app);
      await listen(server, 0, '127.0.0.1');
      const self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

      // Act
      const res = await fetch(`${self}/agent/api/messages`, {
        method: 'POST',
        headers: { Authorization: basic(AGENT), 'Content-Type': 'application/json', Origin: foreign ?? self },
        body: JSON.stringify({ user_id: 'u1', message: 'hi' }),
      });
      const body = (await res.json()) as { error?: { code: string } };
      await new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });

      // Assert
      expect(res.status).toBe(status);
      if (status === 403) {
        expect(body.error?.code).toBe('CROSS_ORIGIN_WRITE');
        expect(await writtenKeys()).toEqual([]);
      }
    });
  });

  describe('roles and names', () => {
    test.each([
      ['/agent', 200],
      ['/agent/api/conversations', 200],
      ['/agent/api/session', 200],
      ['/agent/static/console.js', 200],
      ['/', 403],
      ['/api/queues', 403],
      ['/queue/reply-send', 403],
    ])('when an agent asks for %s, then it answers %s', async (route, status) => {
      const res = await request(app).get(route).set('Authorization', basic(AGENT));

      expect(res.status).toBe(status);
    });

    test('when an agent signs in, then the session names that account and its role', async () => {
      const res = await request(app).get('/agent/api/session').set('Authorization', basic(AGENT));

      expect(res.body).toEqual({ name: AGENT.name, role: 'agent' });
    });

    test('when a reply names another agent in its body, then it goes out under the signed-in account\'s name', async () => {
      // Act
      const res = await post('/agent/api/messages', { user_id: 'u1', message: 'Hello from support', agent_name: 'Mallory' });

      // Assert
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ status: 'queued', id: expect.any(String), conversation_id: conversationIdFor({ external_user_id: 'u1' }) });
      expect(await sendJobs()).toEqual([expect.objectContaining({ kind: 'agent', agentName: AGENT.name, parts: [{ text: 'Hello from support' }] })]);
      const list = await request(app).get('/agent/api/conversations').set('Authorization', basic(AGENT));
      expect(list.body.conversations).toEqual([expect.objectContaining({ user_id: 'u1', agent_name: AGENT.name, reason: 'agent_took_over' })]);
    });

    test('when the same reply is posted twice with one message_id, then it is queued once', async () => {
      const body = { user_id: 'u1', message: 'Only once', message_id: 'console-0001' };
      const first = await post('/agent/api/messages', body);
      const second = await post('/agent/api/messages', body);

      expect([first.status, second.status]).toEqual([202, 200]);
      expect(second.body).toMatchObject({ status: 'duplicate', id: first.body.id });
      expect(await sendJobs()).toHaveLength(1);
    });
  });

  describe('the list', () => {
    test.each([
      ['a bot reply that was never sent', { at: 2, who: 'bot', text: 'echo: hi', kind: 'ai', draft: true }, { who: 'bot', text: 'echo: hi', draft: true }],
      ['a note', { at: 2, who: 'note', kind: 'delivery_failed', reason: 'OUTSIDE_WHATSAPP_WINDOW: late' }, { who: 'note', kind: 'delivery_failed' }],
      ['a customer message', { at: 2, who: 'customer', text: 'hello?' }, { who: 'customer', text: 'hello?' }],
    ])('when the last entry of a handed-off conversation is %s, then its row says so', async (_case, last, shown) => {
      // Arrange: a conversation as the worker leaves it
      const id = conversationIdFor({ external_user_id: 'u-list' });
      const k = conversationKeys(prefix, id);
      await redis.hset(k.state, { owner: 'agent', epoch: '1', since: '1', reason: 'human', recipient: JSON.stringify({ external_user_id: 'u-list' }) });
      await redis.rpush(k.history, JSON.stringify({ at: 1, who: 'customer', text: 'AGENT' }), JSON.stringify(last));
      await redis.zadd(bridgeKeys(prefix).agentsWaiting, 1, id);

      // Act
      const res = await request(app).get('/agent/api/conversations').set('Authorization', basic(AGENT));

      // Assert
      expect(res.body.conversations).toEqual([expect.objectContaining({ conversation_id: id, last_message: { at: new Date(2).toISOString(), ...shown } })]);
    });
  });

  describe('take over and return to bot', () => {
    test('when an admin takes a user over twice, then the customer is told once and the transcript names the takeover', async () => {
      // Act
      const first = await post('/agent/api/handoff', { user_id: 'u-take', reason: 'supervisor check' }, ADMIN);
      const again = await post('/agent/api/handoff', { user_id: 'u-take' }, ADMIN);
      const transcript = await request(app).get(`/agent/api/conversations/${first.body.conversation_id}/messages`).set('Authorization', basic(ADMIN));

      // Assert
      expect(first.body).toEqual({ conversation_id: conversationIdFor({ external_user_id: 'u-take' }), owner: 'agent', started: true, since: expect.any(String) });
      expect(again.body.started).toBe(false);
      expect(await sendJobs()).toEqual([expect.objectContaining({ kind: 'handoff', parts: [{ text: DEFAULT_HANDOFF_TEXT }] })]);
      expect(transcript.body).toMatchObject({ owner: 'agent', user_id: 'u-take', reason: 'supervisor check', unanswered: 0, messages: [{ from: 'note', kind: 'handoff_started', reason: 'supervisor check' }] });
    });

    test('when an agent returns a conversation to the bot, then it leaves the list and its state says bot', async () => {
      // Arrange
      const { body: taken } = await post('/agent/api/handoff', { braze_id: 'braze-9' });

      // Act
      const released = await post('/agent/api/release', { conversation_id: taken.conversation_id });
      const list = await request(app).get('/agent/api/conversations').set('Authorization', basic(AGENT));
      const transcript = await request(app).get(`/agent/api/conversations/${taken.conversation_id}/messages`).set('Authorization', basic(AGENT));

      // Assert
      expect(released.body).toEqual({ conversation_id: taken.conversation_id, owner: 'bot', released: true });
      expect(list.body.conversations).toEqual([]);
      expect(transcript.body.owner).toBe('bot');
      expect(transcript.body.messages.map((m: { kind?: string }) => m.kind)).toEqual(['handoff_started', 'handoff_ended']);
      expect(await redis.hget(`${prefix}:conv:{${taken.conversation_id}}:state`, 'owner')).toBeNull();
    });
  });

  describe('the page', () => {
    test('when the console page is served, then it carries the dashboard CSP and loads only its own scripts', async () => {
      const res = await request(app).get('/agent').set('Authorization', basic(AGENT));

      expect(res.status).toBe(200);
      expect(res.type).toBe('text/html');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.text).toContain('<script type="module" src="/agent/static/console.js"></script>');
      expect(res.text).not.toMatch(/<script>|\son[a-z]+=/);
    });

    test.each([
      ['/agent/static/console.js', /^text\/javascript/],
      ['/agent/static/model.js', /^text\/javascript/],
      ['/agent/static/console.css', /^text\/css/],
    ])('when %s is asked for, then it is served with its type (ES modules need it)', async (route, type) => {
      const res = await request(app).get(route).set('Authorization', basic(AGENT));

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(type);
    });

    test('when a file the console does not have is asked for, then it answers 404 JSON', async () => {
      const res = await request(app).get('/agent/static/../../config.ts').set('Authorization', basic(AGENT));

      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    });
  });
});
