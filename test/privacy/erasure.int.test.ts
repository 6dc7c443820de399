import request from 'supertest';
import { conversationIdFor, createPersonEraser } from '@bridge/shared';
import { ADMIN_TOKEN, OTHER, PERSON, personNeedles, settledQueues, startPersonalDataPipeline, storePersonInEveryState } from '../helpers/person-in-every-state';
import type { Pipeline } from '../helpers/pipeline';
import { dumpKeys, keysHolding } from '../helpers/redis-dump';
import { assertionRedis } from '../helpers/test-env';
import { buildWebhookBody } from '../helpers/webhook';
import { echoAi } from '../helpers/stand-in-server';

describe('DELETE /users/<id>/data: erasing a person', () => {
  let p: Pipeline;
  const redis = assertionRedis();
  afterEach(() => p.stop());
  afterAll(() => redis.quit());

  const erase = (id: string) => request(p.ingest.app).delete(`/users/${encodeURIComponent(id)}/data`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  test('when a person has a conversation in every state, then erasing them by external id leaves no key, value or job of theirs, and the next call removes nothing', async () => {
    ({ p } = await startPersonalDataPipeline());
    await storePersonInEveryState(p);
    const before = await dumpKeys(redis, p.prefix);
    // the scan finds what it looks for: each trace is there before the erasure
    expect(personNeedles().filter((n) => keysHolding(before, [n]).length === 0)).toEqual([]);
    const otherKeys = before.filter((k) => k.key.includes(conversationIdFor({ external_user_id: OTHER.userId }))).map((k) => k.key).sort();

    const res = await erase(PERSON.userId);

    expect(res.status).toBe(200);
    expect(res.body.removed.keys).toBeGreaterThan(10);
    expect(res.body.removed.jobs).toEqual({
      'reply-generate': 6, 'reply-send': expect.any(Number), 'profile-sync': expect.any(Number), 'agent-events': expect.any(Number),
    });
    expect(res.body).not.toHaveProperty('active');
    expect(keysHolding(await dumpKeys(redis, p.prefix), personNeedles())).toEqual([]);
    // the other person's conversation is untouched
    const after = await dumpKeys(redis, p.prefix);
    expect(after.filter((k) => k.key.includes(conversationIdFor({ external_user_id: OTHER.userId }))).map((k) => k.key).sort()).toEqual(otherKeys);
    expect(keysHolding(after, [OTHER.text, OTHER.userId]).length).toBeGreaterThan(0);
    // the dashboard's job lists no longer hold them (completed and failed included)
    for (const queue of [p.worker.generateQueue, p.worker.sendQueue, p.worker.profileQueue, p.worker.eventsQueue]) {
      const jobs = await queue.getJobs(['completed', 'failed', 'waiting', 'delayed']);
      expect(jobs.filter((j) => JSON.stringify(j.data).includes(PERSON.brazeId) || JSON.stringify(j.data).includes(PERSON.userId))).toEqual([]);
    }

    const again = await erase(PERSON.userId);
    expect([again.status, again.body]).toEqual([200, { removed: { keys: 0, jobs: {} } }]);
  });

  test('when erased by braze_id, then the conversation known by their external id goes too', async () => {
    ({ p } = await startPersonalDataPipeline());
    await p.replied(buildWebhookBody({ user_id: PERSON.userId, braze_id: PERSON.brazeId, message: PERSON.texts[0] }));
    await settledQueues(p);

    const res = await erase(PERSON.brazeId);

    expect(res.body.removed.keys).toBeGreaterThan(0);
    expect(keysHolding(await dumpKeys(redis, p.prefix), personNeedles())).toEqual([]);
  });

  test('when an alias-only sender (UNKNOWN_SENDER_RECIPIENT=user_alias) is erased by their phone number, then nothing of theirs remains', async () => {
    ({ p } = await startPersonalDataPipeline({ UNKNOWN_SENDER_RECIPIENT: 'user_alias' }));
    await p.replied({ braze_id: PERSON.brazeId, phone_number: PERSON.phone, profile_name: PERSON.name, message: PERSON.texts[0] });
    await settledQueues(p);
    const before = await dumpKeys(redis, p.prefix);
    expect(keysHolding(before, [PERSON.phone]).length).toBeGreaterThan(0);

    const res = await erase(PERSON.phone);

    expect(res.body.removed.keys).toBeGreaterThan(0);
    expect(keysHolding(await dumpKeys(redis, p.prefix), personNeedles())).toEqual([]);
  });

  test('when one of their jobs is running during the erasure, then it waits for it and removes what it wrote, and the jobs it added, too', async () => {
    ({ p } = await startPersonalDataPipeline());
    let release!: () => void;
    const answer = new Promise<void>((resolve) => { release = resolve; });
    let calledAi!: () => void;
    const running = new Promise<void>((resolve) => { calledAi = resolve; });
    p.ai.setScript(async (req, i) => {
      calledAi();
      await answer;
      return echoAi(req, i);
    });
    await p.post(buildWebhookBody({ user_id: PERSON.userId, braze_id: PERSON.brazeId, message: PERSON.texts[0] }));
    await running;
    // the AI answers as soon as the erasure has listed the jobs, the running turn among them
    const erasePerson = createPersonEraser({
      redis, prefix: p.prefix, queues: [p.worker.generateQueue, p.worker.sendQueue, p.worker.profileQueue, p.worker.eventsQueue],
      hooks: [{ prepare: async () => { release(); return { keys: [] }; } }],
    });

    const report = await erasePerson(PERSON.userId);
    await settledQueues(p);

    expect(report.active).toEqual({});
    expect(report.jobs['reply-generate']).toBe(1);
    expect(keysHolding(await dumpKeys(redis, p.prefix), personNeedles())).toEqual([]);
  });
});
