import { Redis as RedisClient } from 'ioredis';
import { freePort, startRedisCluster, startRedisServer } from '../helpers/redis-server';
import { useBridgeProcesses } from '../helpers/bridge-processes';
import { echoAi, replyText } from '../helpers/stand-in-server';
import { eventually, startService } from '../helpers/service-process';
import { WEBHOOK_SECRET } from '../helpers/test-env';
import { buildWebhookBody } from '../helpers/webhook';

/** The built services as processes against their own redis-server and stand-in upstreams. */
describe('the built services, end to end', () => {
  const b = useBridgeProcesses();
  const ingestProcess = () => b.start('ingest');
  const workerProcess = (extra: Record<string, string> = {}) => b.start('worker', extra);
  const postWebhook = b.post;

  test('when a webhook arrives, then it is answered 202 and the exact reply reaches Braze; bad secrets and bodies get 401 and 400', async () => {
    const ingest = await ingestProcess();
    await workerProcess();

    const res = await postWebhook(ingest, buildWebhookBody({ message: 'Hi from e2e' }));
    expect(res.status).toBe(202);
    await b.braze.waitForRequests(1);
    expect(b.braze.requests[0]!.body).toEqual({
      campaign_id: 'campaign-123',
      recipients: [{ external_user_id: 'user-1', trigger_properties: { external_system_msg_body: 'echo: Hi from e2e' } }],
    });
    expect((await postWebhook(ingest, buildWebhookBody(), 'wrong-secret-0000000')).status).toBe(401);
    const broken = await postWebhook(ingest, '{"user_id": ');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('INVALID_JSON');
    expect(ingest.output()).not.toContain('Hi from e2e');
    expect(ingest.output()).not.toContain(WEBHOOK_SECRET);
  });

  test('when a required variable is missing, then the service stops with one line naming it', async () => {
    const port = await freePort();
    const { WEBHOOK_SECRET: _omit, ...rest } = b.env();
    await expect(startService('ingest', port, rest)).rejects.toThrow(/WEBHOOK_SECRET is required/);
  });

  test('when two worker processes share AI_RATE_LIMIT_MAX, then together they never call the AI faster than the limit, in any sliding window', async () => {
    const ingest = await ingestProcess();
    b.ai.setScript(async (req) => { await new Promise((r) => setTimeout(r, 600)); return echoAi(req, 0); });
    const limit = { AI_RATE_LIMIT_MAX: '2', AI_RATE_LIMIT_DURATION_MS: '1000', WORKER_CONCURRENCY: '1' };
    const workers = [await workerProcess(limit), await workerProcess(limit)];
    const n = 10;

    for (let i = 0; i < n; i++) await b.postAccepted(ingest, buildWebhookBody({ user_id: `user-${i}`, message: `m${i}` }));
    await b.braze.waitForRecipients(n);

    const times = b.ai.requests.map((r) => r.at).sort((a, b) => a - b);
    // 10 calls at 2 per second: the first and last are at least four windows apart (per-process limits would allow two)
    expect(times[n - 1]! - times[0]!).toBeGreaterThanOrEqual(3_900);
    // and no sliding second holds more than 2: any 3 consecutive calls span a second (less a little network jitter)
    for (let i = 0; i + 2 < n; i++) expect(times[i + 2]! - times[i]!).toBeGreaterThanOrEqual(950);
    for (const w of workers) {
      const metrics = await (await w.get('/metrics')).text();
      expect(metrics).toMatch(/bridge_jobs_total\{queue="reply-generate",outcome="completed",service="worker"\} [1-9]/);
    }
  });

  test('when Redis stops, then ingest answers 503 within 2 s and /readyz 503; when it returns, both services recover by themselves', async () => {
    const ingest = await ingestProcess();
    const worker = await workerProcess();
    await b.redis.stop('SIGKILL');

    const started = Date.now();
    const down = await postWebhook(ingest, buildWebhookBody({ message: 'during outage' }));
    expect(down.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(down.headers.get('retry-after')).toBeTruthy();
    expect((await ingest.get('/readyz')).status).toBe(503);
    expect((await ingest.get('/healthz')).status).toBe(200);
    expect((await worker.get('/healthz')).status).toBe(200);
    await eventually(async () => (await worker.get('/readyz')).status === 503, 10_000, 'worker /readyz 503');

    await b.restartRedis();
    await eventually(async () => (await ingest.get('/readyz')).status === 200, 15_000, 'ingest ready again');
    const after = await postWebhook(ingest, buildWebhookBody({ message: 'after outage' }));
    expect(after.status).toBe(202);
    await b.braze.waitForRequests(1);
    expect(replyText(b.braze.requests[0]!.body)).toBe('echo: after outage');
    await eventually(async () => (await worker.get('/readyz')).status === 200, 15_000, 'worker ready again');
  });
});

describe('Redis over TLS with a password (rediss://)', () => {
  const password = 'p@ss word/1';
  const b = useBridgeProcesses({
    startRedis: () => startRedisServer({ tls: true, password }),
    env: (redis) => ({ NODE_EXTRA_CA_CERTS: redis.caFile! }), // the services trust the test CA
  });

  test('when REDIS_URL is rediss:// with a password, then the services connect and a webhook is answered end to end', async () => {
    expect(b.redis.url).toMatch(/^rediss:\/\//);
    const services = [await b.start('ingest'), await b.start('worker')];

    await b.postAccepted(services[0]!, buildWebhookBody({ message: 'over tls' }));
    await b.braze.waitForRequests(1);
    expect(replyText(b.braze.requests[0]!.body)).toBe('echo: over tls');
    const output = services.map((s) => s.output()).join('');
    expect(output).not.toContain(password);
    expect(output).not.toContain(encodeURIComponent(password)); // as it stands in REDIS_URL
  });
});

describe('Redis Cluster', () => {
  const b = useBridgeProcesses({ startRedis: startRedisCluster, env: { REDIS_CLUSTER: 'true' }, prefix: '{bridge}' });

  test('when REDIS_CLUSTER=true with a hash-tag prefix, then a webhook is answered end to end across a three-node cluster, and an evicting policy is warned about', async () => {
    // before the services start: they check the policy at start-up
    for (const node of b.redis.nodes) {
      const c = new RedisClient(node.url);
      await c.config('SET', 'maxmemory-policy', 'allkeys-lru');
      c.disconnect();
    }
    const services = [await b.start('ingest'), await b.start('worker')];

    // one with a message_id (idempotency key) and one without
    await b.postAccepted(services[0]!, buildWebhookBody({ message: 'first', message_id: 'wamid.1' }));
    await b.postAccepted(services[0]!, buildWebhookBody({ message: 'second' }));
    await b.braze.waitForRecipients(2);
    expect(b.braze.recipients().map((r) => r.trigger_properties.external_system_msg_body)).toEqual(['echo: first', 'echo: second']);
    for (const s of services) await eventually(() => s.logs.find((l) => l.level === 'warn' && /noeviction/.test(l.message)), 10_000, `${s.name} eviction warning`);
  });
});
