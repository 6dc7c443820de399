import request from 'supertest';
import { Redis } from 'ioredis';
import { claimPlace, conversationIdFor, conversationKeys } from '@bridge/shared';
import { loadConfig } from '../../src/config';
import { createIngestApp, type IngestApp } from '../../src/ingest-app';
import { captureLogger } from '../../../../test/helpers/capture-logger';
import { ingestEnv, testRedisUrl, uniquePrefix } from '../../../../test/helpers/test-env';
import { buildWebhookBody, postWebhook } from '../../../../test/helpers/webhook';

const MINUTE = 60_000;
/** the start of a clock minute, so a test knows how much of it is left */
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE;

describe('the per-sender limit at the ingest (SENDER_RATE_LIMIT_PER_MINUTE)', () => {
  let prefix: string;
  let ingest: IngestApp;
  let now: number;
  const redis = new Redis(testRedisUrl());

  async function start(extra: Record<string, string> = {}) {
    prefix = uniquePrefix();
    now = T0 + 1_000;
    ingest = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), prefix, { SENDER_RATE_LIMIT_PER_MINUTE: '3', ...extra })), captureLogger().log, { clock: () => now });
    await ingest.queue.waitUntilReady();
  }

  afterEach(async () => {
    await ingest.queue.obliterate({ force: true });
    await ingest.close();
  });
  afterAll(() => redis.quit());

  const post = (user: string, message: string, extra: Record<string, unknown> = {}) => postWebhook(ingest.app, buildWebhookBody({ user_id: user, message, ...extra }));
  const metric = async (pattern: RegExp) => Number(pattern.exec((await request(ingest.app).get('/metrics')).text)?.[1] ?? 0);

  test('when a sender writes more than the limit within a minute, then the rest are answered 202 limited, stored in order with limited: true, and counted', async () => {
    await start();
    const answers = [];
    for (let i = 1; i <= 5; i++) answers.push(await post('flooder', `m${i}`));

    expect(answers.map((r) => [r.status, r.body.status])).toEqual([[202, 'queued'], [202, 'queued'], [202, 'queued'], [202, 'limited'], [202, 'limited']]);
    const jobs = await Promise.all(answers.map((r) => ingest.queue.getJob(r.body.id)));
    expect(jobs.map((j) => [j!.data.conversation.seq, j!.data.text, j!.data.limited])).toEqual([[1, 'm1', undefined], [2, 'm2', undefined], [3, 'm3', undefined], [4, 'm4', true], [5, 'm5', true]]);
    expect(await metric(/^bridge_sender_limited_total\{[^}]*\} (\d+)$/m)).toBe(2);
    expect(await metric(/^bridge_webhooks_total\{outcome="limited"[^}]*\} (\d+)$/m)).toBe(2);
  });

  test('when one sender is over the limit, then another sender\'s messages are queued as usual', async () => {
    await start();
    for (let i = 1; i <= 4; i++) await post('flooder', `m${i}`);
    const other = await post('someone-else', 'hello');
    expect(other.body.status).toBe('queued');
  });

  test('when the next clock minute begins, then the sender is counted from zero again, and the old counter expires with its minute', async () => {
    await start();
    for (let i = 1; i <= 4; i++) await post('flooder', `m${i}`);
    const keys = conversationKeys(prefix, conversationIdFor({ external_user_id: 'flooder' }));
    const ttl = await redis.ttl(keys.senderCount(T0 / MINUTE));
    // 59 s of the minute left on the ingest's clock, plus a 5 s margin
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(65);

    now = T0 + MINUTE;
    expect((await post('flooder', 'next minute')).body.status).toBe('queued');
  });

  test('when a limited message is delivered again with its message_id, then it is a duplicate and not counted again', async () => {
    await start();
    for (let i = 1; i <= 3; i++) await post('flooder', `m${i}`);
    const first = await post('flooder', 'again', { message_id: 'wamid.limited' });
    const repeat = await post('flooder', 'again', { message_id: 'wamid.limited' });

    expect(first.body.status).toBe('limited');
    expect([repeat.status, repeat.body]).toEqual([200, { status: 'duplicate', id: first.body.id }]);
    expect(await metric(/^bridge_sender_limited_total\{[^}]*\} (\d+)$/m)).toBe(1);
  });

  test('when a limited place was claimed but its job not stored, then its redelivery gets the same place, still limited', async () => {
    await start();
    const claim = (jobId: string, key: string) => claimPlace(redis, {
      prefix, conversationId: 'u-claims', lane: 'in', jobId, now, ttlSeconds: 3600, inbound: true, limitPerWindow: 1, dedupe: { key, ttlSeconds: 3600 },
    });
    expect(await claim('job-1', 'wamid.1')).toEqual({ jobId: 'job-1', seq: 1 });
    expect(await claim('job-2', 'wamid.2')).toEqual({ jobId: 'job-2', seq: 2, limited: true });
    expect(await claim('job-3', 'wamid.2')).toEqual({ jobId: 'job-2', seq: 2, earlier: 'claimed', limited: true });
  });

  test('when SENDER_RATE_LIMIT_PER_MINUTE=0, then no sender is limited and no counter is written', async () => {
    await start({ SENDER_RATE_LIMIT_PER_MINUTE: '0' });
    const answers = [];
    for (let i = 1; i <= 5; i++) answers.push((await post('flooder', `m${i}`)).body.status);
    expect(answers).toEqual(['queued', 'queued', 'queued', 'queued', 'queued']);
    expect(await redis.exists(conversationKeys(prefix, conversationIdFor({ external_user_id: 'flooder' })).senderCount(T0 / MINUTE))).toBe(0);
  });
});
