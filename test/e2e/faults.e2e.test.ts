import { Queue } from 'bullmq';
import { Redis as RedisClient } from 'ioredis';
import { QUEUE } from '@bridge/shared';
import { useBridgeProcesses } from '../helpers/bridge-processes';
import { echoAi, replyText } from '../helpers/stand-in-server';
import { eventually } from '../helpers/service-process';
import { buildWebhookBody } from '../helpers/webhook';

/** The delivery guarantees (docs/delivery-guarantees.md) under real faults: processes killed, Redis killed, upstreams hanging. One test per guarantee. */
describe('delivery guarantees under faults', () => {
  const b = useBridgeProcesses();
  const { start, postAccepted } = b;

  test('when a worker is killed (SIGKILL) mid-job, then another worker finishes it within 30 s on default settings, with one reply', async () => {
    const ingest = await start('ingest');
    const doomed = await start('worker', { AI_TIMEOUT_MS: '60000' });
    b.ai.enqueue({ hang: true }); // the doomed worker's call never comes back
    await postAccepted(ingest, buildWebhookBody({ message: 'survive me' }));
    await b.ai.waitForRequests(1);
    await doomed.stop('SIGKILL');
    const killedAt = Date.now();
    await start('worker');

    await b.braze.waitForRequests(1);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expect(b.braze.requests.map((r) => replyText(r.body))).toEqual(['echo: survive me']);
  }, 60_000);

  test('when a worker gets SIGTERM during an AI call, then it finishes the call, exits 0, and that reply is sent without a second AI call', async () => {
    const ingest = await start('ingest');
    const worker = await start('worker');
    b.ai.setScript(async (req, i) => { await new Promise((r) => setTimeout(r, 1_500)); return echoAi(req, i); });
    await postAccepted(ingest, buildWebhookBody({ message: 'in flight' }));
    await b.ai.waitForRequests(1);

    const code = await worker.stop('SIGTERM');

    expect(code).toBe(0);
    await start('worker'); // sends the reply if the stopping worker left it queued
    await b.braze.waitForRequests(1);
    expect(b.ai.requests).toHaveLength(1);
    expect(b.braze.requests.map((r) => replyText(r.body))).toEqual(['echo: in flight']);
  });

  test('when Redis is killed (kill -9) with AOF on, then every message answered 202 is still answered exactly once afterwards', async () => {
    const ingest = await start('ingest');
    const n = 20;
    for (let i = 0; i < n; i++) await postAccepted(ingest, buildWebhookBody({ user_id: `u${i}`, message: `msg ${i}` }));
    await b.redis.stop('SIGKILL');
    await b.restartRedis();
    await start('worker');

    await b.braze.waitForRecipients(n);
    const texts = b.braze.recipients().map((r) => r.trigger_properties.external_system_msg_body as string).sort();
    expect(texts).toEqual(Array.from({ length: n }, (_, i) => `echo: msg ${i}`).sort());
    // no second send arrives once both queues hold nothing to run: not waiting, running, or retrying later
    const connection = new RedisClient(b.redis.url, { maxRetriesPerRequest: null });
    const queues = [QUEUE.generate, QUEUE.send].map((name) => new Queue(name, { connection, prefix: b.prefix }));
    try {
      await eventually(async () => {
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children')));
        return counts.every((c) => Object.values(c).every((count) => count === 0));
      }, 10_000, 'queues drained');
    } finally {
      await Promise.all(queues.map((q) => q.close()));
      connection.disconnect();
    }
    expect(b.braze.recipients()).toHaveLength(n);
  });

  test('when Redis is gone and the services get SIGTERM, then they exit 0 without waiting for it, print only JSON and warn once per connection', async () => {
    const ingest = await start('ingest');
    const worker = await start('worker', { WORKER_SHUTDOWN_TIMEOUT_MS: '5000' }); // missing it exits 1
    await b.redis.stop('SIGKILL');
    // each notices in its own time (the ingest's one connection may be the later): SIGTERM once both have
    await eventually(() => [ingest, worker].every((s) => s.logs.some((l) => l.message === 'redis connection error')), 10_000, 'the ingest and the worker to notice');

    expect(await Promise.all([ingest.stop('SIGTERM'), worker.stop('SIGTERM')])).toEqual([0, 0]);
    for (const service of [ingest, worker]) {
      expect(service.output().trimEnd().split('\n').filter((line) => !line.startsWith('{'))).toEqual([]);
      expect(service.logs.filter((l) => l.message === 'redis connection error')).toHaveLength(1);
      expect(service.logs.filter((l) => l.level === 'error')).toEqual([]);
    }
  });

  test('when Redis evicts keys (maxmemory-policy is not noeviction), then the worker and the ingest warn at start-up', async () => {
    const c = new RedisClient(b.redis.url);
    await c.config('SET', 'maxmemory-policy', 'allkeys-lru');
    c.disconnect();
    const worker = await start('worker');
    const ingest = await start('ingest');
    await eventually(() => worker.logs.find((l) => l.level === 'warn' && /noeviction/.test(l.message)), 10_000, 'eviction warning');
    await eventually(() => ingest.logs.find((l) => l.level === 'warn' && /noeviction/.test(l.message)), 10_000, 'ingest eviction warning');
  });
});
