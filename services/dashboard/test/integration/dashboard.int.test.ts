import request from 'supertest';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type express from 'express';
import { ALL_QUEUES, JOB, QUEUE } from '@bridge/shared';
import { ADMIN, basic, makeDashboard } from '../helpers/dashboard-app';
import { testRedisUrl, uniquePrefix } from '../../../../test/helpers/test-env';

const auth = basic(ADMIN);

describe('dashboard (bull-board behind Basic auth) on a real Redis', () => {
  let redis: Redis;
  let queues: Queue[];
  let prefix: string;
  let app: express.Express;
  const make = async (opts: { readOnly?: boolean; showPii?: boolean } = {}) => (await makeDashboard(queues, redis, prefix, opts)).app;

  beforeEach(async () => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    prefix = uniquePrefix();
    queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix }));
    const generate = queues.find((q) => q.name === QUEUE.generate)!;
    await generate.add(JOB.generate, { recipient: { external_user_id: 'customer-4711' }, text: 'my card number is 1234' }, { jobId: 'job-1' });
    app = await make();
  });
  afterEach(async () => {
    for (const q of queues) await q.obliterate({ force: true });
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
  });

  test.each([
    ['no credentials', undefined],
    ['a wrong password', basic({ name: ADMIN.name, password: 'wrong' })],
  ])('when a request has %s, then every route answers 401 with a Basic challenge', async (_name, header) => {
    for (const route of ['/', '/api/queues']) {
      const req = request(app).get(route);
      const res = await (header ? req.set('Authorization', header) : req);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic/);
    }
  });

  test('when logged in, then the page and every project queue are served', async () => {
    expect((await request(app).get('/').set('Authorization', auth)).status).toBe(200);
    const res = await request(app).get('/api/queues').set('Authorization', auth);
    expect(res.status).toBe(200);
    expect(res.body.queues.map((q: { name: string }) => q.name).sort()).toEqual([...ALL_QUEUES].sort());
  });

  test('when DASHBOARD_SHOW_PII is off, then job data shows neither text nor full ids', async () => {
    const res = await request(app).get('/api/queues').query({ activeQueue: QUEUE.generate, status: 'waiting' }).set('Authorization', auth);
    const body = JSON.stringify(res.body);
    expect(body).not.toContain('1234');
    expect(body).not.toContain('customer-4711');
    expect(body).toContain('hidden');
  });

  test('when DASHBOARD_SHOW_PII is on, then job data is shown as stored', async () => {
    const res = await request(await make({ showPii: true })).get('/api/queues').query({ activeQueue: QUEUE.generate, status: 'waiting' }).set('Authorization', auth);
    expect(JSON.stringify(res.body)).toContain('customer-4711');
  });

  test('when DASHBOARD_READ_ONLY is on, then the queues are marked read-only and retries are refused', async () => {
    const readOnly = await make({ readOnly: true });
    const res = await request(readOnly).get('/api/queues').set('Authorization', auth);
    expect(res.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true);
    const retry = await request(readOnly).put(`/api/queues/${QUEUE.generate}/retry/failed`).set('Authorization', auth);
    expect(retry.status).toBeGreaterThanOrEqual(400);
  });

  test('when a job failed, then its reason is listed and it can be retried from the dashboard', async () => {
    const generate = queues.find((q) => q.name === QUEUE.generate)!;
    const worker = new Worker(generate.name, async () => { throw new UnrecoverableError('UPSTREAM_REJECTED: ai answered HTTP 400'); },
      { connection: redis, prefix: generate.opts.prefix });
    await new Promise((resolve) => worker.once('failed', resolve));
    await worker.close();
    const list = await request(app).get('/api/queues').query({ activeQueue: QUEUE.generate, status: 'failed' }).set('Authorization', auth);
    expect(JSON.stringify(list.body)).toContain('UPSTREAM_REJECTED: ai answered HTTP 400');

    const retry = await request(app).put(`/api/queues/${QUEUE.generate}/job-1/retry`).set('Authorization', auth);
    expect(retry.status).toBe(204);
    expect(await (await generate.getJob('job-1'))!.getState()).toBe('waiting');
  });
});
