import { Redis } from 'ioredis';
import { aiServer, mediaServer, type Flavour } from '../helpers/ai-stand-ins';
import { useBridgeProcesses } from '../helpers/bridge-processes';
import { eventually } from '../helpers/service-process';
import { replyText, startStandIn, type StandIn } from '../helpers/stand-in-server';
import { buildWebhookBody } from '../helpers/webhook';

const FEATURES = {
  AI_TOOLS: 'true', BRAZE_SYNC_PROFILE: 'true', BRAZE_WRITABLE_ATTRIBUTES: 'plan', AI_TRANSCRIBE: 'true', MEDIA_ALLOW_PRIVATE: 'true',
  FALLBACK_MESSAGE: 'Sorry, we cannot answer right now.',
};

/**
 * One conversation (a message that makes the model write an attribute, then a voice note) against
 * stand-ins that answer as OpenAI does, as vLLM started without tool support does, and as Ollama's
 * /v1 does (no tool call ids, no usage, no /audio/transcriptions).
 */
describe('the same conversation against OpenAI-compatible servers, end to end', () => {
  const b = useBridgeProcesses();
  let media: StandIn;
  beforeEach(async () => { media = await startStandIn(mediaServer); });
  afterEach(() => media.close());

  const sends = () => b.braze.requests.filter((r) => r.path === '/campaigns/trigger/send').map((r) => replyText(r.body));
  const tracks = () => b.braze.requests.filter((r) => r.path === '/users/track');

  async function converse(flavour: Flavour) {
    b.ai.setScript(aiServer(flavour));
    const ingest = await b.start('ingest');
    const worker = await b.start('worker', FEATURES);
    const first = await (await b.postAccepted(ingest, buildWebhookBody({ message: '/tool set_user_attributes {"attributes":{"plan":"gold"}}' }))).json() as { id: string };
    await b.braze.waitUntil(() => sends().length >= 1);
    const second = await (await b.postAccepted(ingest, buildWebhookBody({ message: '', media_urls: [`${media.url}/media/voice.ogg?say=Onde%20est%C3%A1%20meu%20pedido%3F`] }))).json() as { id: string };
    await b.braze.waitUntil(() => sends().length >= 2);
    return { worker, ids: [first.id, second.id] };
  }

  async function failedReason(jobId: string): Promise<string> {
    const redis = new Redis(b.redis.url, { maxRetriesPerRequest: 1 });
    try {
      return await eventually(async () => (await redis.hget(`${b.prefix}:reply-generate:${jobId}`, 'failedReason')) ?? undefined, 10_000, 'the failed reason');
    } finally {
      redis.disconnect();
    }
  }

  test('when the server behaves like OpenAI, then the attribute reaches /users/track and the voice note is transcribed and answered', async () => {
    await converse('openai');

    expect(sends()).toEqual([`done: ${JSON.stringify({ ok: true, written: ['plan'] })}`, 'echo: [Voice message, transcribed] Onde está meu pedido?']);
    await b.braze.waitUntil(() => tracks().some((r) => r.body.attributes.some((a: { plan?: string }) => a.plan === 'gold')));
  });

  test('when the server is vLLM without tool support, then each turn fails at once with a reason naming AI_TOOLS and the fix, and the customer gets the fallback', async () => {
    const { worker, ids } = await converse('vllm-without-tools');

    expect(sends()).toEqual([FEATURES.FALLBACK_MESSAGE, FEATURES.FALLBACK_MESSAGE]);
    const reason = await failedReason(ids[0]!);
    expect(reason).toMatch(/^AI_TOOLS_UNSUPPORTED: /);
    expect(reason).toMatch(/--enable-auto-tool-choice/);
    expect(reason).toMatch(/AI_TOOLS=false/);
    expect(b.ai.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(2);
    expect(worker.logs.some((l) => l.message === 'job failed for good' && l.code === 'AI_TOOLS_UNSUPPORTED')).toBe(true);
  });

  test('when the server is Ollama\'s /v1, then tool calls without ids work, and a voice note it cannot transcribe is described with a warning naming AI_TRANSCRIBE_BASE_URL', async () => {
    const { worker } = await converse('ollama');

    expect(sends()[0]).toBe(`done: ${JSON.stringify({ ok: true, written: ['plan'] })}`);
    const toolTurn = b.ai.requests.filter((r) => r.path.endsWith('/chat/completions'))[1]!;
    expect(toolTurn.body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_1_1', content: JSON.stringify({ ok: true, written: ['plan'] }) });
    expect(sends()[1]).toBe('echo: [The customer sent a voice message that could not be transcribed.]');
    expect(worker.logs.some((l) => l.level === 'warn' && /AI_TRANSCRIBE_BASE_URL/.test(l.message))).toBe(true);
    await b.braze.waitUntil(() => tracks().some((r) => r.body.attributes.some((a: { plan?: string }) => a.plan === 'gold')));
  });
});
