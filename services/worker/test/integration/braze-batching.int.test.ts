import { sendJobIdFor } from '@bridge/shared';
import { startPipeline, type Pipeline } from '../../../../test/helpers/pipeline';
import { brazeOk, echoAi } from '../../../../test/helpers/stand-in-server';

describe('Braze batching and rate-limit awareness', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('when many replies are ready together, then they share requests, each recipient once per request with its own text', async () => {
    p = await startPipeline({ BRAZE_BATCH_WAIT_MS: '200', WORKER_CONCURRENCY: '20' });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await p.post({ user_id: `user-${i}`, message: `question ${i}` }));
    await Promise.all(ids.map((id) => p.finished('send', sendJobIdFor(id))));

    const recipients = p.braze.recipients();
    expect(recipients).toHaveLength(20);
    expect(p.braze.requests.length).toBeLessThan(20);
    for (const r of recipients) {
      expect(r.trigger_properties.external_system_msg_body).toBe(`echo: question ${r.external_user_id.slice(5)}`);
    }
    for (const req of p.braze.requests) {
      const ids = req.body.recipients.map((r: { external_user_id: string }) => r.external_user_id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  test('when Braze refuses a batch because of one bad recipient, then the others are still sent once and only that reply fails', async () => {
    p = await startPipeline({ BRAZE_BATCH_WAIT_MS: '200' });
    p.braze.setScript((req, i) => {
      const users = req.body.recipients.map((r: { external_user_id: string }) => r.external_user_id);
      return users.includes('bad-user') ? { status: 400, body: { message: 'Invalid recipient' } } : brazeOk(req, i);
    });
    const ids = [];
    for (const user of ['alice', 'bad-user', 'carol']) ids.push(await p.post({ user_id: user }));

    await p.finished('send', sendJobIdFor(ids[0]!));
    await expect(p.finished('send', sendJobIdFor(ids[1]!))).rejects.toThrow(/Invalid recipient/);
    await p.finished('send', sendJobIdFor(ids[2]!));
    const delivered = p.braze.requests.filter((_r, i) => i > 0).flatMap((r) => r.body.recipients.map((x: { external_user_id: string }) => x.external_user_id));
    expect(delivered.filter((u: string) => u !== 'bad-user').sort()).toEqual(['alice', 'carol']);
  });

  test('when Braze says the hourly pool is spent, then no worker sends again before it resets', async () => {
    p = await startPipeline({ BRAZE_BATCH_WAIT_MS: '0' });
    const resetAt = Math.ceil(Date.now() / 1000) + 2;
    p.braze.enqueue({ status: 201, body: { message: 'success', dispatch_id: 'd' }, headers: { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(resetAt), 'X-RateLimit-Limit': '250000' } });
    await p.replied({ user_id: 'first' });
    await p.replied({ user_id: 'second' });

    expect(p.braze.requests).toHaveLength(2);
    expect(p.braze.requests[1]!.at).toBeGreaterThanOrEqual(resetAt * 1000 - 50);
    const metrics = await p.worker.registry.metrics();
    expect(metrics).toMatch(/bridge_braze_ratelimit_remaining\{service="worker"\} 0/);
  });

  test('when the AI says no request is left until its reset, then the next AI call waits for it', async () => {
    p = await startPipeline();
    p.ai.enqueue({ ...(echoAi({ body: { messages: [{ role: 'user', content: 'first' }] } } as never, 0) as { status: number; body: unknown }), headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s' } });
    await p.replied({ user_id: 'u1', message: 'first' });
    await p.replied({ user_id: 'u2', message: 'second' });

    expect(p.ai.requests[1]!.at - p.ai.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });
});
