import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conversationIdFor, conversationKeys, sendJobIdFor } from '@bridge/shared';
import { aiServer, textOf } from '../../../../../test/helpers/ai-stand-ins';
import { startPipeline, type Pipeline } from '../../../../../test/helpers/pipeline';
import { replyText, type RecordedRequest } from '../../../../../test/helpers/stand-in-server';
import { assertionRedis } from '../../../../../test/helpers/test-env';

const TOOLS = { AI_TOOLS: 'true', LIVE_AGENTS: 'true', BRAZE_SYNC_PROFILE: 'true', BRAZE_WRITABLE_ATTRIBUTES: 'plan,city', BRAZE_LOGGABLE_EVENTS: 'asked_for_refund' };
const tool = (name: string, args: unknown) => `/tool ${name} ${typeof args === 'string' ? args : JSON.stringify(args)}`;
const chat = (p: Pipeline) => p.ai.requests.filter((r) => r.path.endsWith('/chat/completions'));
const tracks = (p: Pipeline) => p.braze.requests.filter((r) => r.path === '/users/track');
const sends = (p: Pipeline) => p.braze.requests.filter((r) => r.path === '/campaigns/trigger/send').map((r) => replyText(r.body));
const toolMessages = (req: RecordedRequest) => (req.body.messages as Array<{ role: string; content: unknown; tool_call_id?: string }>).filter((m) => m.role === 'tool');
const metric = async (p: Pipeline, line: string) => (await p.worker.registry.metrics()).split('\n').find((l) => l.startsWith(line));

function conversationFile(content: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-tools-')), 'conversation.json');
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('AI tools (AI_TOOLS=true), on a real Redis with stand-in AI and Braze', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('when the model calls set_user_attributes with an attribute on the list, then /users/track writes it and the customer gets the model\'s answer after the tool result', async () => {
    p = await startPipeline(TOOLS);
    p.ai.setScript(aiServer());
    const id = await p.replied({ message: tool('set_user_attributes', { attributes: { plan: 'gold', city: 'Porto' } }) });
    await p.braze.waitUntil(() => tracks(p).length > 0);

    const [first, second] = chat(p);
    expect(first!.body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['handoff_to_agent', 'set_user_attributes', 'log_event']);
    expect(first!.body.tool_choice).toBe('auto');
    expect(second!.body.messages.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'call_standin_0', function: { name: 'set_user_attributes' } }] });
    expect(toolMessages(second!)).toEqual([{ role: 'tool', tool_call_id: 'call_standin_0', content: JSON.stringify({ ok: true, written: ['plan', 'city'] }) }]);
    expect(sends(p)).toEqual([`done: ${JSON.stringify({ ok: true, written: ['plan', 'city'] })}`]);
    expect(tracks(p)[0]!.body.attributes).toEqual([expect.objectContaining({ external_id: 'user-1', plan: 'gold', city: 'Porto', bridge_state: 'bot' })]);
    expect(await p.finished('generate', id)).toMatchObject({ tools: ['set_user_attributes'] });
  });

  test('when the model writes an attribute not on BRAZE_WRITABLE_ATTRIBUTES, then nothing is written, the model reads why and the refusal is counted', async () => {
    p = await startPipeline(TOOLS);
    p.ai.setScript(aiServer());
    await p.replied({ message: tool('set_user_attributes', { attributes: { plan: 'gold', vip: true } }) });
    await p.braze.waitUntil(() => tracks(p).length > 0);

    const result = JSON.parse(textOf(toolMessages(chat(p)[1]!)[0]!.content));
    expect(result).toEqual({ error: 'not written: vip is not an attribute you may write', allowed: ['plan', 'city'] });
    expect(tracks(p)[0]!.body.attributes[0]).not.toHaveProperty('plan');
    expect(tracks(p)[0]!.body.attributes[0]).not.toHaveProperty('vip');
    expect(await metric(p, 'bridge_ai_tool_calls_total{tool="set_user_attributes",result="not_allowed"')).toMatch(/ 1$/);
  });

  it.each([
    ['an unknown tool', tool('delete_account', {}), 'unknown', 'unknown_tool', /there is no tool "delete_account"/],
    ['arguments that are not JSON', tool('set_user_attributes', '{plan: gold'), 'set_user_attributes', 'bad_arguments', /not valid JSON/],
    ['a value longer than 255 characters', tool('set_user_attributes', { attributes: { plan: 'x'.repeat(256) } }), 'set_user_attributes', 'bad_arguments', /at most 255/],
    ['an event not on BRAZE_LOGGABLE_EVENTS', tool('log_event', { name: 'bought_a_car' }), 'log_event', 'not_allowed', /not an event you may log/],
  ])('when the model calls %s, then the model reads an error, the job completes and the call is counted', async (_case, message, label, result, reason) => {
    p = await startPipeline(TOOLS);
    p.ai.setScript(aiServer());
    const id = await p.replied({ message });

    expect(JSON.parse(textOf(toolMessages(chat(p)[1]!)[0]!.content)).error).toMatch(reason);
    expect(sends(p)).toHaveLength(1);
    expect(await (await p.worker.generateQueue.getJob(id))!.getState()).toBe('completed');
    expect(await metric(p, `bridge_ai_tool_calls_total{tool="${label}",result="${result}"`)).toMatch(/ 1$/);
  });

  test('when the model keeps calling tools, then the loop stops after AI_MAX_TOOL_ROUNDS with tool_choice "none", the fallback is sent and the cap is counted', async () => {
    p = await startPipeline({ ...TOOLS, AI_MAX_TOOL_ROUNDS: '2', FALLBACK_MESSAGE: 'Sorry, a colleague will answer.' });
    // a model that calls a tool whatever it is asked
    p.ai.setScript((_req, i) => ({ status: 200, body: { choices: [{ message: { content: null, tool_calls: [{ id: `c${i}`, type: 'function', function: { name: 'log_event', arguments: '{"name":"asked_for_refund"}' } }] } }] } }));
    const id = await p.replied({ message: 'refund please' });

    expect(chat(p).map((r) => r.body.tool_choice)).toEqual(['auto', 'auto', 'none']);
    expect(sends(p)).toEqual(['Sorry, a colleague will answer.']);
    expect(await p.finished('generate', id)).toMatchObject({ aiUnusable: 'AI_EMPTY', tools: ['log_event', 'log_event'] });
    expect(await metric(p, 'bridge_ai_tool_calls_total{tool="unknown",result="capped"')).toMatch(/ 1$/);
  });

  test('when the job is re-run after a tool round (the next AI call failed), then the round is replayed from its record and the tool takes effect once', async () => {
    p = await startPipeline(TOOLS);
    const standIn = aiServer();
    p.ai.setScript((req, i) => (i === 1 ? { status: 500, body: { error: { message: 'overloaded' } } } : standIn(req)));
    const id = await p.replied({ message: tool('set_user_attributes', { attributes: { plan: 'gold' } }) });
    await p.braze.waitUntil(() => tracks(p).length > 0);

    // round 1, round 2 (500), round 2 again on the retry: round 1 is not asked again
    expect(chat(p)).toHaveLength(3);
    expect(chat(p)[2]!.body.messages).toEqual(chat(p)[1]!.body.messages);
    expect((await p.worker.generateQueue.getJob(id))!.attemptsMade).toBe(2);
    expect(tracks(p)).toHaveLength(1);
    expect(await metric(p, 'bridge_ai_tool_calls_total{tool="set_user_attributes",result="ok"')).toMatch(/ 1$/);
    // the record is gone once the turn committed
    const redis = assertionRedis();
    expect(await redis.exists(conversationKeys(p.prefix, conversationIdFor({ external_user_id: 'user-1' })).tools(id))).toBe(0);
    redis.disconnect();
  });

  test('when the model calls handoff_to_agent, then its text and the handoff text go out in order and a person owns the conversation', async () => {
    p = await startPipeline({ ...TOOLS, AGENT_HANDOFF_TEXT: 'A person will answer you here.' });
    p.ai.setScript(aiServer());
    const id = await p.replied({ message: tool('handoff_to_agent', { reason: 'asks for a person' }) });

    expect(sends(p)).toEqual([expect.stringMatching(/^done: /), 'A person will answer you here.']);
    expect(await p.finished('generate', id)).toMatchObject({ handoff: 'asks for a person', tools: ['handoff_to_agent'] });
    const redis = assertionRedis();
    expect(await redis.hget(conversationKeys(p.prefix, conversationIdFor({ external_user_id: 'user-1' })).state, 'owner')).toBe('agent');
    redis.disconnect();
  });

  test('when the model calls start_flow, then the flow\'s first question follows its text and the next message answers the flow without the AI', async () => {
    const file = conversationFile({ flows: { returns: { steps: [{ id: 'order', ask: 'What is your order number?', capture: { var: 'order' } }, { id: 'thanks', say: 'Thanks, we got {{order}}.' }] } } });
    p = await startPipeline({ ...TOOLS, CONVERSATION_FILE: file });
    p.ai.setScript(aiServer());
    await p.replied({ message: tool('start_flow', { name: 'returns' }) });
    await p.replied({ message: 'A-123' });

    expect(chat(p)).toHaveLength(2);
    expect(sends(p)).toEqual([expect.stringMatching(/^done: /), 'What is your order number?', 'Thanks, we got A-123.']);
  });

  test('when an ai route lists its tools, then only those are offered on that route', async () => {
    const file = conversationFile({ routes: [{ name: 'refunds', match: { regex: 'refund' }, action: 'ai', tools: ['log_event'] }] });
    p = await startPipeline({ ...TOOLS, CONVERSATION_FILE: file });
    p.ai.setScript(aiServer());
    await p.replied({ message: 'I want a refund' });

    expect(chat(p)[0]!.body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['log_event']);
    expect(chat(p)[0]!.body.tools[0].function.parameters.properties.name.enum).toEqual(['asked_for_refund']);
  });

  test('when AI_TOOLS is off, then no tools are offered and the request is as before', async () => {
    p = await startPipeline();
    p.ai.setScript(aiServer());
    await p.replied({ message: tool('set_user_attributes', { attributes: { plan: 'gold' } }) });

    expect(chat(p)[0]!.body).not.toHaveProperty('tools');
    expect(sends(p)).toEqual([expect.stringMatching(/^echo: \/tool/)]);
  });

  test('when a completed turn with a tool call is run again, then nothing is asked, written or sent twice', async () => {
    p = await startPipeline(TOOLS);
    p.ai.setScript(aiServer());
    const id = await p.replied({ message: tool('set_user_attributes', { attributes: { plan: 'gold' } }) });
    await p.braze.waitUntil(() => tracks(p).length > 0);
    await (await p.worker.generateQueue.getJob(id))!.retry('completed');
    await p.finished('generate', id);
    await p.finished('send', sendJobIdFor(id));

    expect(chat(p)).toHaveLength(2);
    expect(sends(p)).toHaveLength(1);
    expect(tracks(p)).toHaveLength(1);
  });
});
