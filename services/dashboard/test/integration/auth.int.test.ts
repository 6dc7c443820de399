import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ALL_QUEUES, createHttpServer, listen } from '@bridge/shared';
import { ADMIN, AGENT, basic, makeDashboard } from '../helpers/dashboard-app';
import { createLoginThrottle } from '../../src/auth/login-throttle';
import { startRedisCluster } from '../../../../test/helpers/redis-server';
import { testRedisUrl, uniquePrefix } from '../../../../test/helpers/test-env';

const wrong = (name: string) => basic({ name, password: 'not-the-password' });

describe('dashboard accounts, roles and login throttling on a real Redis', () => {
  let redis: Redis;
  let queues: Queue[];
  let prefix: string;
  beforeEach(async () => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    // connected: until then the throttle counts in memory (as it does while Redis is away)
    await redis.ping();
    prefix = uniquePrefix();
    queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix }));
  });
  afterEach(async () => {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
  });

  describe('login throttling', () => {
    test('when one user fails as often as allowed, then the next try answers 429 with Retry-After, even with the right password', async () => {
      // Arrange
      const { app, logs } = await makeDashboard(queues, redis, prefix, { login: { failuresPerUser: 3, blockSeconds: 600 } });

      // Act
      const failures = [];
      for (let i = 0; i < 3; i++) failures.push((await request(app).get('/api/queues').set('Authorization', wrong(ADMIN.name))).status);
      const blocked = await request(app).get('/api/queues').set('Authorization', basic(ADMIN));

      // Assert: the third failure starts the block and already says so
      expect(failures).toEqual([401, 401, 429]);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(590);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(600);
      expect(blocked.body).toEqual({ error: { code: 'TOO_MANY_LOGIN_ATTEMPTS', message: expect.stringMatching(/^Too many failed logins: try again in \d+ seconds$/) } });
      expect(logs.lines.filter((l) => l.message === 'dashboard login failed')).toHaveLength(2);
      expect(logs.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'dashboard logins blocked after repeated failures', user: ADMIN.name, blockedSeconds: 600 }));
    });

    test('when one address tries many user names, then it is blocked for every user, the real ones too', async () => {
      // Arrange
      const { app, logs } = await makeDashboard(queues, redis, prefix, { login: { failuresPerAddress: 4, failuresPerUser: 10 } });

      // Act
      for (const name of ['root', 'admin', 'test', 'guest']) await request(app).get('/').set('Authorization', wrong(name));
      const res = await request(app).get('/').set('Authorization', basic(ADMIN));

      // Assert
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBeDefined();
      // names that are no account are never logged (they may be a password typed in the wrong field)
      expect(logs.lines.filter((l) => l.message.startsWith('dashboard login')).every((l) => l.user === undefined)).toBe(true);
    });

    test('when a user signs in correctly between failures, then the user\'s count starts again', async () => {
      // Arrange
      const { app } = await makeDashboard(queues, redis, prefix, { login: { failuresPerUser: 3 } });
      const fail = () => request(app).get('/api/queues').set('Authorization', wrong(AGENT.name));

      // Act
      await fail();
      await fail();
      const good = await request(app).get('/agent').set('Authorization', basic(AGENT));
      const afterwards = [(await fail()).status, (await fail()).status];

      // Assert: the good login got past the auth (404: this app mounts no console)
      expect(good.status).toBe(404);
      expect(afterwards).toEqual([401, 401]);
    });

    test('when a login fails, then its counters are Redis keys under REDIS_PREFIX', async () => {
      const { app } = await makeDashboard(queues, redis, prefix);
      await request(app).get('/').set('Authorization', wrong(ADMIN.name));
      expect((await redis.keys(`${prefix}:login-failures:*`)).sort()).toEqual([`${prefix}:login-failures:address:127.0.0.1`, `${prefix}:login-failures:user:${ADMIN.name}`]);
    });

    test('when Redis is away, then failures are counted in the process meanwhile and still block', async () => {
      // Arrange: a client that never connects
      const away = new Redis(testRedisUrl(), { lazyConnect: true });
      const throttle = createLoginThrottle(away, prefix, { failuresPerAddress: 20, failuresPerUser: 2, blockSeconds: 60 });

      // Act
      const results = [await throttle.failed('203.0.113.1', 'ops'), await throttle.failed('203.0.113.1', 'ops')];
      const wait = await throttle.retryAfterMs('198.51.100.2', 'ops');
      away.disconnect();

      // Assert
      expect(results).toEqual([0, 60_000]);
      expect(wait).toBeGreaterThan(55_000);
    });
  });

  describe('roles', () => {
    test.each([
      ['/', 403],
      ['/api/queues', 403],
      ['/static/favicon-32x32.png', 403],
      ['/queue/reply-generate', 403],
      ['/agentx', 403],
      ['/agent', 404],
      ['/agent/api/conversations', 404],
    ])('when an agent asks for %s, then it answers %s (bull-board is never served to it)', async (route, status) => {
      const { app } = await makeDashboard(queues, redis, prefix);
      const res = await request(app).get(route).set('Authorization', basic(AGENT));
      expect(res.status).toBe(status);
      expect(res.type).toBe('application/json');
      if (status === 403) expect(res.body).toEqual({ error: { code: 'FORBIDDEN', message: 'This account may use the agent console (/agent) only' } });
    });

    test.each(['/', '/api/queues', '/static/favicon-32x32.png'])('when an admin asks for %s, then bull-board serves it', async (route) => {
      const { app } = await makeDashboard(queues, redis, prefix);
      expect((await request(app).get(route).set('Authorization', basic(ADMIN))).status).toBe(200);
    });
  });

  describe('HTTP hardening', () => {
    test('when the page is served, then it carries the dashboard CSP and the security headers, and no X-Powered-By', async () => {
      const { app } = await makeDashboard(queues, redis, prefix);
      const res = await request(app).get('/').set('Authorization', basic(ADMIN));
      expect(res.headers['content-security-policy']).toContain("script-src 'self';");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
      expect(res.headers['x-powered-by']).toBeUndefined();
    });

    test.each([
      ['another site', 403, (_self: string) => 'https://evil.example'],
      ['an opaque origin', 403, (_self: string) => 'null'],
      ['this host on another port', 403, (self: string) => self.replace(/:\d+$/, ':1')],
      ['this host', 200, (self: string) => self],
      ['a client that sends no Origin (curl)', 200, (_self: string) => undefined],
    ])('when a write comes from %s, then it answers %s', async (_name, status, originOf) => {
      // Arrange: the app on a real port, so Origin and Host can be compared as a browser sends them
      const { app } = await makeDashboard(queues, redis, prefix);
      const server = createHttpServer(app);
      await listen(server, 0, '127.0.0.1');
      const self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const origin = originOf(self);

      // Act: pausing a queue is a write
      const res = await fetch(`${self}/api/queues/${queues[0]!.name}/pause`, { method: 'PUT', headers: { Authorization: basic(ADMIN), ...(origin ? { Origin: origin } : {}) } });
      const body = (await res.json()) as { error?: { code: string } };
      await new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });

      // Assert
      expect(res.status).toBe(status);
      if (status === 403) expect(body.error?.code).toBe('CROSS_ORIGIN_WRITE');
    });

    test.each([
      ['a body that is not JSON', 400, 'INVALID_JSON', '{"broken": '],
      ['a body over the limit', 413, 'PAYLOAD_TOO_LARGE', JSON.stringify({ data: 'x'.repeat(70_000) })],
    ])('when a write has %s, then it answers %s JSON without parser detail', async (_name, status, code, body) => {
      const { app } = await makeDashboard(queues, redis, prefix);
      const res = await request(app).put(`/api/queues/${queues[0]!.name}/j1/update-data`).set('Authorization', basic(ADMIN)).set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.text).not.toMatch(/SyntaxError|\bat |Unexpected/);
    });

    test('when bull-board fails inside (Redis gone), then the answer says nothing of the cause and the log has it', async () => {
      // Arrange: queues on a connection that is closed for good
      const dead = new Redis(testRedisUrl(), { maxRetriesPerRequest: null, lazyConnect: true });
      dead.disconnect();
      const deadQueues = ALL_QUEUES.map((name) => new Queue(name, { connection: dead, prefix }).on('error', () => undefined));
      const { app, logs } = await makeDashboard(deadQueues, redis, prefix);

      // Act
      const res = await request(app).get('/api/queues').set('Authorization', basic(ADMIN));
      await Promise.all(deadQueues.map((q) => q.close().catch(() => undefined)));

      // Assert
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message: 'Internal error' });
      expect(logs.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'dashboard API error' }));
    });

    test('when /healthz is asked without credentials, then it answers 200', async () => {
      const { app } = await makeDashboard(queues, redis, prefix);
      expect((await request(app).get('/healthz')).status).toBe(200);
    });
  });
});

describe('login throttling on a Redis Cluster', () => {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
  let client: import('ioredis').Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    const port = Number(new URL(cluster.url).port);
    const { Cluster } = await import('ioredis');
    client = new Cluster([{ host: '127.0.0.1', port }], { enableReadyCheck: true });
    await new Promise((resolve) => client.once('ready', resolve));
  });
  afterAll(async () => {
    client.disconnect();
    await cluster.stop('SIGKILL');
  });

  test('when the prefix is a hash tag, then failures are counted, block and are forgiven on the cluster', async () => {
    // Arrange
    const prefix = `{${uniquePrefix()}}`;
    const throttle = createLoginThrottle(client, prefix, { failuresPerAddress: 5, failuresPerUser: 2, blockSeconds: 60 });

    // Act
    const first = await throttle.failed('::ffff:203.0.113.9', 'ops');
    const second = await throttle.failed('203.0.113.9', 'ops');
    const wait = await throttle.retryAfterMs('203.0.113.9', 'someone-else');
    const waitOps = await throttle.retryAfterMs('198.51.100.1', 'ops');
    await throttle.succeeded('ops');

    // Assert
    expect([first, second]).toEqual([0, 60_000]);
    expect(wait).toBe(0);
    expect(waitOps).toBeGreaterThan(55_000);
    expect(await throttle.retryAfterMs('198.51.100.1', 'ops')).toBe(0);
    const nodes = client.nodes('master');
    const keys = (await Promise.all(nodes.map((n) => n.keys(`${prefix}:login-failures:*`)))).flat();
    expect(keys).toEqual([`${prefix}:login-failures:address:203.0.113.9`]);
  });
});
