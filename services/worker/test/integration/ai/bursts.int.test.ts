import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conversationIdFor, conversationKeys, readEntry, sendJobIdFor } from '@bridge/shared';
import { aiServer, textOf } from '../../../../../test/helpers/ai-stand-ins';
import { startPipeline, type Pipeline } from '../../../../../test/helpers/pipeline';
import { replyText } from '../../../../../test/helpers/stand-in-server';
import { assertionRedis } from '../../../../../test/helpers/test-env';

const WINDOW = { COALESCE_WINDOW_MS: '1000', COALESCE_MAX_MS: '1500' };
const chat = (p: Pipeline) => p.ai.requests.filter((r) => r.path.endsWith('/chat/completions'));
const sends = (p: Pipeline) => p.braze.requests.filter((r) => r.path === '/campaigns/trigger/send')
  .flatMap((r) => r.body.recipients.map((to: { external_user_id: string; trigger_properties: Record<string, string> }) => `${to.external_user_id}: ${replyText({ recipients: [to] })}`));

/** Time as ingest and worker see it: the test moves it, so "within the window" never depends on how fast the machine is. */
function testClock() {
  let now = Date.now();
  return { clock: () => now, advance: (ms: number) => { now += ms; } };
}

describe('bursts (COALESCE_WINDOW_MS), on a real Redis with two workers', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  /** posts messages `gapMs` apart (test time), then lets the window pass; returns the generate job ids */
  async function burst(t: ReturnType<typeof testClock>, messages: Array<string | Record<string, unknown>>, gapMs = 200): Promise<string[]> {
    const ids: string[] = [];
    for (const [i, m] of messages.entries()) {
      if (i > 0) t.advance(gapMs);
      ids.push(await p.post(typeof m === 'string' ? { message: m } : m));
    }
    t.advance(1_001);
    return ids;
  }

  test('when a user sends three messages within the window, then one AI call gets the texts in order and one reply goes out; the later turns pass without a reply', async () => {
    const t = testClock();
    p = await startPipeline(WINDOW, { clock: t.clock });
    const extra = p.startExtraWorker();
    p.ai.setScript(aiServer());
    const [first, second, third] = await burst(t, ['hi', 'I ordered a lamp', 'where is it?']);
    await p.finished('send', sendJobIdFor(first!));
    const results = [await p.finished('generate', second!), await p.finished('generate', third!)];
    await extra.close();

    expect(chat(p)).toHaveLength(1);
    expect(textOf(chat(p)[0]!.body.messages.at(-1).content)).toBe('hi\nI ordered a lamp\nwhere is it?');
    expect(sends(p)).toEqual(['user-1: echo: hi\nI ordered a lamp\nwhere is it?']);
    expect(await p.finished('generate', first!)).toMatchObject({ coalesced: 3, parts: 1 });
    expect(results).toEqual([{ route: 'ai', answeredWith: first, parts: 0 }, { route: 'ai', answeredWith: first, parts: 0 }]);
    const redis = assertionRedis();
    const history = (await redis.lrange(conversationKeys(p.prefix, conversationIdFor({ external_user_id: 'user-1' })).history, 0, -1)).map((r) => readEntry(r)!);
    redis.disconnect();
    expect(history.map((e) => `${e.who}: ${e.text}`)).toEqual(['customer: hi', 'customer: I ordered a lamp', 'customer: where is it?', 'bot: echo: hi\nI ordered a lamp\nwhere is it?']);
  });

  test('when an opt-out word arrives inside the window, then it wins: nothing is answered, and the next message later is', async () => {
    const t = testClock();
    p = await startPipeline(WINDOW, { clock: t.clock });
    p.ai.setScript(aiServer());
    const [first, stop] = await burst(t, ['hi', 'STOP']);

    expect(await p.finished('generate', first!)).toMatchObject({ burstDropped: 'opt_out', parts: 0 });
    expect(await p.finished('generate', stop!)).toMatchObject({ silent: 'opt_out', parts: 0 });
    t.advance(60_000);
    const [again] = await burst(t, ['hello again']);
    await p.finished('send', sendJobIdFor(again!));
    expect(chat(p)).toHaveLength(1);
    expect(sends(p)).toEqual(['user-1: echo: hello again']);
  });

  test('when a handoff keyword arrives inside the window, then the handoff wins and the AI does not answer the messages before it', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-burst-')), 'conversation.json');
    fs.writeFileSync(file, JSON.stringify({ routes: [{ name: 'human', match: { keywords: ['agent'] }, action: 'handoff', text: 'A person will answer.' }] }));
    const t = testClock();
    p = await startPipeline({ ...WINDOW, CONVERSATION_FILE: file }, { clock: t.clock });
    p.ai.setScript(aiServer());
    const [first, agent] = await burst(t, ['my lamp is broken', 'agent']);

    expect(await p.finished('generate', first!)).toMatchObject({ burstDropped: 'handoff', parts: 0 });
    await p.finished('send', sendJobIdFor(agent!));
    expect(chat(p)).toHaveLength(0);
    expect(sends(p)).toEqual(['user-1: A person will answer.']);
  });

  test('when messages are further apart than the window, then each is answered on its own', async () => {
    const t = testClock();
    p = await startPipeline(WINDOW, { clock: t.clock });
    p.ai.setScript(aiServer());
    const [first, second] = await burst(t, ['one', 'two'], 1_200);
    await p.finished('send', sendJobIdFor(first!));
    await p.finished('send', sendJobIdFor(second!));

    expect(sends(p)).toEqual(['user-1: echo: one', 'user-1: echo: two']);
  });

  test('when a burst goes on past COALESCE_MAX_MS, then the messages after the cap start a burst of their own', async () => {
    const t = testClock();
    p = await startPipeline(WINDOW, { clock: t.clock });
    p.ai.setScript(aiServer());
    // 0, 800, 1600 ms: each within the window of the one before, the third past the 1500 ms cap
    const [first, , third] = await burst(t, ['a', 'b', 'c'], 800);
    await p.finished('send', sendJobIdFor(first!));
    await p.finished('send', sendJobIdFor(third!));

    expect(sends(p)).toEqual(['user-1: echo: a\nb', 'user-1: echo: c']);
  });

  test('when two users send bursts at the same time, then each gets one reply to their own messages', async () => {
    const t = testClock();
    p = await startPipeline(WINDOW, { clock: t.clock });
    const extra = p.startExtraWorker();
    p.ai.setScript(aiServer());
    const ids = await burst(t, [{ user_id: 'ana', message: 'oi' }, { user_id: 'bo', message: 'hola' }, { user_id: 'ana', message: 'tudo bem?' }, { user_id: 'bo', message: 'qué tal?' }]);
    await Promise.all([p.finished('send', sendJobIdFor(ids[0]!)), p.finished('send', sendJobIdFor(ids[1]!))]);
    await Promise.all(ids.slice(2).map((id) => p.finished('generate', id)));
    await extra.close();

    expect(sends(p).sort()).toEqual(['ana: echo: oi\ntudo bem?', 'bo: echo: hola\nqué tal?']);
    expect(chat(p)).toHaveLength(2);
  });
});
