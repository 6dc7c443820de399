import { Redis as RedisClient } from 'ioredis';
import { freePort, startRedisServer } from '../helpers/redis-server';
import { brazeOk, echoAi, startStandIn, type StandIn } from '../helpers/stand-in-server';
import { eventually, startService, type ServiceProcess } from '../helpers/service-process';
import { WEBHOOK_SECRET, uniquePrefix, workerEnv } from '../helpers/test-env';
import { buildWebhookBody } from '../helpers/webhook';

type Redis = Awaited<ReturnType<typeof startRedisServer>>;
const replyText = (body: any) => body.recipients[0].trigger_properties.external_system_msg_body as string;

/** SPEC §7 under real faults: processes killed, Redis killed, upstreams hanging. One test per guarantee. */
describe('delivery guarantees under faults', () => {
  let redis: Redis;
  let ai: StandIn;
  let braze: StandIn;
  const services: ServiceProcess[] = [];
  let prefix: string;

  beforeEach(async () => {
    redis = await startRedisServer({ appendonly: true, appendfsync: 'everysec' });
    ai = await startStandIn(echoAi);
    braze = await startStandIn(brazeOk);
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
    await Promise.all([ai.close(), braze.close(), redis.stop('SIGKILL')]);
  });

  const env = (extra: Record<string, string> = {}) => ({ ...workerEnv(prefix, `${ai.url}/v1`, braze.url, extra), REDIS_URL: redis.url, LOG_LEVEL: 'info', WEBHOOK_SECRET });
  const start = async (name: 'ingest' | 'worker', extra: Record<string, string> = {}) => {
    const s = await startService(name, await freePort(), env(extra));
    services.push(s);
    return s;
  };
  const post = (ingest: ServiceProcess, body: unknown) => fetch(`http://127.0.0.1:${ingest.port}/webhooks/braze/whatsapp`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${WEBHOOK_SECRET}` }, body: JSON.stringify(body),
  });

  test('when a worker is killed (SIGKILL) mid-job, then another worker finishes it within 30 s on default settings, with one reply', async () => {
    const ingest = await start('ingest');
    const doomed = await start('worker', { AI_TIMEOUT_MS: '60000' });
    ai.enqueue({ hang: true }); // the doomed worker's call never comes back
    expect((await post(ingest, buildWebhookBody({ message: 'survive me' }))).status).toBe(202);
    await ai.waitForRequests(1);
    await doomed.stop('SIGKILL');
    const killedAt = Date.now();
    await start('worker');

    await braze.waitForRequests(1);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expect(braze.requests.map((r) => replyText(r.body))).toEqual(['echo: survive me']);
  }, 60_000);

  test('when a worker gets SIGTERM during an AI call, then it finishes the call, exits 0, and that reply is sent without a second AI call', async () => {
    const ingest = await start('ingest');
    const worker = await start('worker');
    ai.setScript(async (req, i) => { await new Promise((r) => setTimeout(r, 1_500)); return echoAi(req, i); });
    expect((await post(ingest, buildWebhookBody({ message: 'in flight' }))).status).toBe(202);
    await ai.waitForRequests(1);

    const code = await worker.stop('SIGTERM');

    expect(code).toBe(0);
    await start('worker'); // sends the reply if the stopping worker left it queued
    await braze.waitForRequests(1);
    expect(ai.requests).toHaveLength(1);
    expect(braze.requests.map((r) => replyText(r.body))).toEqual(['echo: in flight']);
  });

  test('when Redis is killed (kill -9) with AOF on, then every message answered 202 is still answered exactly once afterwards', async () => {
    const ingest = await start('ingest');
    const n = 20;
    for (let i = 0; i < n; i++) expect((await post(ingest, buildWebhookBody({ user_id: `u${i}`, message: `msg ${i}` }))).status).toBe(202);
    await redis.stop('SIGKILL');
    redis = await startRedisServer({ port: redis.port, dir: redis.dir, appendonly: true, appendfsync: 'everysec' });
    await start('worker');

    await braze.waitForRequests(n);
    const texts = braze.requests.map((r) => replyText(r.body)).sort();
    expect(texts).toEqual(Array.from({ length: n }, (_, i) => `echo: msg ${i}`).sort());
    // no second send arrives once the queue is empty
    await eventually(async () => {
      const c = new RedisClient(redis.url);
      const waiting = (await c.llen(`${prefix}:reply-send:wait`)) + (await c.llen(`${prefix}:reply-generate:wait`));
      c.disconnect();
      return waiting === 0;
    }, 10_000, 'queues drained');
    expect(braze.requests).toHaveLength(n);
  });

  test('when Redis evicts keys (maxmemory-policy is not noeviction), then the worker warns at start-up', async () => {
    const c = new RedisClient(redis.url);
    await c.config('SET', 'maxmemory-policy', 'allkeys-lru');
    c.disconnect();
    const worker = await start('worker');
    await eventually(() => worker.logs.find((l) => l.level === 'warn' && /noeviction/.test(l.message)), 10_000, 'eviction warning');
  });
});
