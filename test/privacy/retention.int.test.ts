import type { Queue } from 'bullmq';
import { ALL_QUEUES, sendJobIdFor } from '@bridge/shared';
import { PERSON, settledQueues, startPersonalDataPipeline, storePersonInEveryState } from '../helpers/person-in-every-state';
import type { Pipeline } from '../helpers/pipeline';
import { dumpKeys } from '../helpers/redis-dump';
import { assertionRedis } from '../helpers/test-env';
import { buildWebhookBody } from '../helpers/webhook';

const TTL_HOURS = 2;
const QUEUES: readonly string[] = ALL_QUEUES;

describe('how long the bridge keeps personal data (CONVERSATION_TTL_HOURS)', () => {
  let p: Pipeline;
  const redis = assertionRedis();
  afterEach(() => p.stop());
  afterAll(() => redis.quit());
  const start = () => startPersonalDataPipeline({ CONVERSATION_TTL_HOURS: String(TTL_HOURS) }, { CONVERSATION_TTL_HOURS: String(TTL_HOURS) });

  test('when a person has a conversation in every state, then every key the bridge wrote about them expires within the TTL; only queue structures and the handed-off index have none', async () => {
    ({ p } = await start());
    await storePersonInEveryState(p);

    const keys = (await dumpKeys(redis, p.prefix)).map((k) => ({ ...k, key: k.key.slice(p.prefix.length + 1) }));
    const queueKeys = keys.filter((k) => QUEUES.some((q) => k.key.startsWith(`${q}:`)));
    const personal = keys.filter((k) => !queueKeys.includes(k));

    expect(personal.filter((k) => k.key.startsWith('conv:')).length).toBeGreaterThan(20);
    expect(personal.filter((k) => k.ttl <= 0 || k.ttl > TTL_HOURS * 3600).map((k) => `${k.key} (TTL ${k.ttl})`)).toEqual(['agents:waiting (TTL -1)']);
  });

  test('when finished jobs are older than the TTL and no other job finishes, then the retention sweep removes them, completed and failed, and keeps the recent ones', async () => {
    ({ p } = await start());
    const old = await p.replied(buildWebhookBody({ message: 'an old message' }));
    const refused = await p.post(buildWebhookBody({ message: 'please FAIL-ME now' }));
    await p.finished('send', sendJobIdFor(refused)).catch(() => undefined);
    const recent = await p.replied(buildWebhookBody({ user_id: PERSON.userId, message: 'a recent message' }));
    await settledQueues(p);
    const older = Date.now() - (TTL_HOURS + 1) * 3_600_000;
    for (const [queue, id] of [[p.worker.generateQueue, old], [p.worker.sendQueue, sendJobIdFor(old)], [p.worker.generateQueue, refused], [p.worker.sendQueue, sendJobIdFor(refused)]] as const) {
      await finishedAt(queue, id, older);
    }

    const { removed } = await p.worker.expireFinishedJobs();

    expect(removed).toBeGreaterThanOrEqual(4);
    expect(await p.worker.generateQueue.getJob(old)).toBeUndefined();
    expect(await p.worker.sendQueue.getJob(sendJobIdFor(refused))).toBeUndefined();
    expect(await p.worker.generateQueue.getJob(recent)).toBeDefined();
    expect(await p.worker.sendQueue.getJob(sendJobIdFor(recent))).toBeDefined();
  });

  /** As if the job had finished at `at`: BullMQ ranks finished jobs by finishedOn, in the set and in the job. */
  async function finishedAt(queue: Queue, id: string, at: number) {
    const state = await queue.getJobState(id);
    if (state !== 'completed' && state !== 'failed') throw new Error(`job ${id} is ${state}`);
    await redis.zadd(queue.toKey(state), at, id);
    await redis.hset(queue.toKey(id), 'finishedOn', at);
  }
});
