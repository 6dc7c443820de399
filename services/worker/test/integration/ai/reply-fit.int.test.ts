import { conversationIdFor, conversationKeys, readEntry, sendJobIdFor } from '@bridge/shared';
import { aiServer } from '../../../../../test/helpers/ai-stand-ins';
import { startPipeline, type Pipeline } from '../../../../../test/helpers/pipeline';
import { replyText } from '../../../../../test/helpers/stand-in-server';
import { assertionRedis } from '../../../../../test/helpers/test-env';

const answer = (content: string | null, extra: Record<string, unknown> = {}, finish = 'stop') => () => ({
  status: 200, body: { choices: [{ message: { role: 'assistant', content, ...extra }, finish_reason: finish }] },
});
const sends = (p: Pipeline) => p.braze.requests.filter((r) => r.path === '/campaigns/trigger/send').map((r) => replyText(r.body));
const sentence = (i: number) => `This is sentence number ${String(i).padStart(3, '0')} of a long and helpful answer. `;
const metrics = (p: Pipeline) => p.worker.registry.metrics();

describe('AI replies that always fit WhatsApp, on a real Redis with stand-in AI and Braze', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('when the AI answers 5,000 characters, then two messages of whole sentences go out in order, each within 4,096, and both are in the transcript', async () => {
    const long = Array.from({ length: 87 }, (_, i) => sentence(i)).join('').trim();
    expect(long.length).toBeGreaterThan(5_000);
    p = await startPipeline();
    p.ai.setScript(answer(long));
    const id = await p.replied({ message: 'tell me everything' });

    const parts = sends(p);
    expect(parts).toHaveLength(2);
    expect(parts.every((t) => t.length <= 4_096 && t.endsWith('.'))).toBe(true);
    expect(parts.join(' ')).toBe(long);
    expect(await p.finished('generate', id)).toMatchObject({ parts: 2 });
    const redis = assertionRedis();
    const rows = (await redis.lrange(conversationKeys(p.prefix, conversationIdFor({ external_user_id: 'user-1' })).history, 0, -1)).map((r) => readEntry(r)!);
    redis.disconnect();
    expect(rows.filter((e) => e.who === 'bot').map((e) => e.text)).toEqual(parts);
    expect(await metrics(p)).toMatch(/bridge_ai_replies_fitted_total\{how="split",service="worker"\} 1/);
  });

  test('when the answer needs more than REPLY_MAX_PARTS messages, then the last one ends after a sentence with an ellipsis', async () => {
    p = await startPipeline({ REPLY_MAX_CHARS: '200', REPLY_MAX_PARTS: '2' });
    p.ai.setScript(answer(Array.from({ length: 20 }, (_, i) => sentence(i)).join('')));
    await p.replied();

    const parts = sends(p);
    expect(parts).toHaveLength(2);
    expect(parts[1]).toMatch(/answer\. …$/);
    expect(parts.every((t) => t.length <= 200)).toBe(true);
    expect(await metrics(p)).toMatch(/bridge_ai_replies_fitted_total\{how="cut_too_long",service="worker"\} 1/);
  });

  test('when the model stopped at its token limit (finish_reason length), then the reply ends at the last complete sentence and the cut is counted', async () => {
    p = await startPipeline();
    p.ai.setScript(answer('Your order left the warehouse. It should arrive on Thurs', {}, 'length'));
    await p.replied();

    expect(sends(p)).toEqual(['Your order left the warehouse.']);
    expect(await metrics(p)).toMatch(/bridge_ai_replies_fitted_total\{how="cut_at_length",service="worker"\} 1/);
  });

  test('when the token limit cut the only sentence, then the fallback goes out instead of half a sentence', async () => {
    p = await startPipeline({ FALLBACK_MESSAGE: 'Sorry, please ask again.' });
    p.ai.setScript(answer('Your order left the warehouse and it should arr', {}, 'length'));
    const id = await p.replied();

    expect(sends(p)).toEqual(['Sorry, please ask again.']);
    expect(await p.finished('generate', id)).toMatchObject({ aiUnusable: 'AI_TRUNCATED' });
  });

  test('when the model refuses while tools are offered, then its refusal text is sent once and no tool runs', async () => {
    p = await startPipeline({ AI_TOOLS: 'true', LIVE_AGENTS: 'true' });
    p.ai.setScript(answer(null, { refusal: 'I cannot help with that request.' }));
    const id = await p.replied({ message: 'do something bad' });

    expect(p.ai.requests).toHaveLength(1);
    expect(p.ai.requests[0]!.body.tools).toHaveLength(1);
    expect(sends(p)).toEqual(['I cannot help with that request.']);
    expect(await p.finished('generate', id)).toMatchObject({ aiUnusable: 'AI_REFUSED', parts: 1 });
    expect(await p.finished('send', sendJobIdFor(id))).toMatchObject({ kind: 'refusal' });
  });

  test('when the AI answers within the limit, then the reply is sent unchanged', async () => {
    p = await startPipeline();
    p.ai.setScript(aiServer());
    await p.replied({ message: 'hi' });
    expect(sends(p)).toEqual(['echo: hi']);
  });
});
