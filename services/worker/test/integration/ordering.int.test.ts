import { conversationIdFor, conversationKeys, sendJobIdFor } from '@bridge/shared';
import { startPipeline, type Pipeline } from '../../../../test/helpers/pipeline';
import { echoAi, replyText } from '../../../../test/helpers/stand-in-server';
import { assertionRedis } from '../../../../test/helpers/test-env';

const lastUser = (body: any) => body.messages.at(-1).content as string;

describe('per-conversation order across workers', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('when one user sends five messages at once to two workers with concurrency 5, then replies go out in order and every AI call carries all earlier turns', async () => {
    p = await startPipeline({ WORKER_CONCURRENCY: '5' });
    const extra = p.startExtraWorker({ WORKER_CONCURRENCY: '5' });
    // the earliest messages are the slowest to answer, which reorders anything not held in order
    p.ai.setScript(async (req, i) => {
      const n = Number(lastUser(req.body).slice(1));
      await new Promise((r) => setTimeout(r, (5 - n) * 40));
      return echoAi(req, i);
    });
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) ids.push(await p.post({ message: `m${n}` }));
    await Promise.all(ids.map((id) => p.finished('send', sendJobIdFor(id))));
    await extra.close();

    expect(p.braze.requests.map((r) => replyText(r.body))).toEqual(['echo: m1', 'echo: m2', 'echo: m3', 'echo: m4', 'echo: m5']);
    p.ai.requests.forEach((req, i) => {
      const turns = req.body.messages.slice(1).map((m: { content: string }) => m.content);
      const expected = Array.from({ length: i + 1 }, (_, k) => (k < i ? [`m${k + 1}`, `echo: m${k + 1}`] : [`m${k + 1}`])).flat();
      expect(turns).toEqual(expected);
    });
  });

  test('when one user\'s message is failing and retrying, then other users are answered meanwhile', async () => {
    p = await startPipeline({ JOB_ATTEMPTS: '3' });
    p.ai.setScript((req, i) => (lastUser(req.body) === 'doomed' ? { status: 503 } : echoAi(req, i)));
    const doomed = await p.post({ user_id: 'alice', message: 'doomed' });
    await p.replied({ user_id: 'bob', message: 'hello' });

    expect(await (await p.worker.generateQueue.getJob(doomed))!.getState()).not.toBe('failed');
    await expect(p.finished('generate', doomed)).rejects.toThrow(/503/);
  });

  test('when a message fails for good and the fallback is off, then the same user\'s next message is still answered', async () => {
    p = await startPipeline({ FALLBACK_MESSAGE: '' });
    p.ai.enqueue({ status: 400, body: { error: { message: 'bad request' } } });
    const failed = await p.post({ message: 'first' });
    const next = await p.post({ message: 'second' });

    await expect(p.finished('generate', failed)).rejects.toThrow(/400/);
    await p.finished('send', sendJobIdFor(next));
    expect(p.braze.requests.map((r) => replyText(r.body))).toEqual(['echo: second']);
  });

  test('when a message held a place but was never stored, then the conversation moves on after the grace time', async () => {
    p = await startPipeline({ ORDER_GAP_GRACE_MS: '300' });
    const redis = assertionRedis();
    const keys = conversationKeys(p.prefix, conversationIdFor({ external_user_id: 'user-1' }));
    // an ingest that claimed turn 1 and then lost Redis before its job was stored
    await redis.incr(keys.seq);
    await redis.hset(keys.jobs, '1', `never-stored|${Date.now()}`);
    await p.replied({ message: 'after the gap' });
    redis.disconnect();

    expect(p.braze.requests.map((r) => replyText(r.body))).toEqual(['echo: after the gap']);
  });
});
