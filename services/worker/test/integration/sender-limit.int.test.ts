import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conversationIdFor, readEntry, sendJobIdFor, type AgentEvent } from '@bridge/shared';
import { DEFAULT_SENDER_RATE_LIMIT_TEXT } from '../../src/config';
import { startPipeline, type Pipeline } from '../../../../test/helpers/pipeline';
import { echoAi, replyText } from '../../../../test/helpers/stand-in-server';
import { assertionRedis } from '../../../../test/helpers/test-env';
import { buildWebhookBody, postWebhook } from '../../../../test/helpers/webhook';

const FLOOD = 200;
const LIMIT = 20;
const AI_LATENCY_MS = 40;

/** the Braze requests' recipients with their reply texts */
const repliesTo = (p: Pipeline, user: string) => p.braze.recipients().filter((r) => r.external_user_id === user).map((r) => r.trigger_properties.external_system_msg_body as string);
const aiCallsFor = (p: Pipeline, word: string) => p.ai.requests.filter((r) => JSON.stringify(r.body.messages.at(-1)).includes(word)).length;

describe('a sender over SENDER_RATE_LIMIT_PER_MINUTE, through the worker', () => {
  let p: Pipeline;
  const redis = assertionRedis();
  afterEach(() => p.stop());
  afterAll(() => redis.quit());

  test(`when one sender floods ${FLOOD} messages in a burst, then the AI answers ${LIMIT} of them, the sender is told once, and another sender is answered before the flood is worked off`, async () => {
    // every webhook of the test falls into one minute of the ingest's clock
    const receivedAt = Date.now();
    p = await startPipeline({}, { ingestClock: () => receivedAt, ingestEnv: { SENDER_RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
    p.ai.setScript(async (req, i) => { await new Promise((r) => setTimeout(r, AI_LATENCY_MS)); return echoAi(req, i); });

    const flood = await Promise.all(Array.from({ length: FLOOD }, (_, i) => postWebhook(p.ingest.app, buildWebhookBody({ user_id: 'flooder', message: `flood ${i}` }))));
    expect(flood.filter((r) => r.body.status === 'queued')).toHaveLength(LIMIT);
    expect(flood.filter((r) => r.body.status === 'limited')).toHaveLength(FLOOD - LIMIT);

    const other = await p.replied({ user_id: 'other', message: 'I am not flooding' });
    // the other sender's reply went out while most of the flooder's turns still waited for theirs
    const flooderLeft = await p.worker.generateQueue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    expect(Object.values(flooderLeft).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(repliesTo(p, 'flooder').length).toBeLessThan(LIMIT);
    expect(repliesTo(p, 'other')).toEqual(['echo: I am not flooding']);
    expect(await p.worker.generateQueue.getJob(other).then((j) => j!.returnvalue)).toMatchObject({ route: 'ai' });

    // the flood is worked off in order: the AI saw only the messages within the limit
    const ids = flood.map((r) => r.body.id as string);
    const results = [];
    for (const id of ids) results.push(await p.finished('generate', id));
    expect(aiCallsFor(p, 'flood ')).toBe(LIMIT);
    expect(results.filter((r) => (r as { route: string }).route === 'limited')).toHaveLength(FLOOD - LIMIT);
    await p.finished('send', sendJobIdFor(ids.find((id, i) => flood[i]!.body.status === 'limited')!));
    const told = repliesTo(p, 'flooder').filter((t) => t === DEFAULT_SENDER_RATE_LIMIT_TEXT);
    expect(told).toHaveLength(1);
    expect(repliesTo(p, 'flooder').filter((t) => t.startsWith('echo: '))).toHaveLength(LIMIT);

    // the limited messages are in the transcript, flagged, for the agents to see
    const history = (await redis.lrange(`${p.prefix}:conv:{${conversationIdFor({ external_user_id: 'flooder' })}}:history`, 0, -1)).map(readEntry);
    expect(history.filter((e) => e?.who === 'customer' && e.limited)).toHaveLength(FLOOD - LIMIT);
  });

  describe('while a person owns the conversation', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-limit-'));
      writeFileSync(path.join(dir, 'conversation.yaml'), 'routes:\n  - name: human\n    match: { keywords: [AGENT] }\n    action: handoff\n');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('when the sender goes over the limit, then every message still reaches the agents, flagged limited, with no AI draft and nothing sent to the customer', async () => {
      const events: AgentEvent[] = [];
      let threeReceived!: () => void;
      const allReceived = new Promise<void>((resolve) => { threeReceived = resolve; });
      const received = () => events.filter((e) => e.type === 'message.received').map((e) => e.data.message as { text: string; limited?: boolean });
      const file = path.join(dir, 'conversation.yaml');
      const receivedAt = Date.now();
      p = await startPipeline({ CONVERSATION_FILE: file, AGENT_ASSIST: 'true' }, {
        ingestClock: () => receivedAt, ingestEnv: { CONVERSATION_FILE: file, SENDER_RATE_LIMIT_PER_MINUTE: '2' },
        sinks: [{ name: 'capture', deliver: async (e) => { events.push(e); if (received().length === 3) threeReceived(); } }],
      });
      await p.replied({ message: 'AGENT' });
      const aiCallsAtHandoff = p.ai.requests.length;
      const ids = [];
      for (const message of ['within the limit', 'over it', 'over it again']) ids.push(await p.post({ message }));
      for (const id of ids) await p.finished('generate', id);
      await allReceived;

      expect(received()).toEqual([
        expect.not.objectContaining({ limited: true }),
        expect.objectContaining({ text: 'over it', limited: true }),
        expect.objectContaining({ text: 'over it again', limited: true }),
      ]);
      // agent assist drafted for the message within the limit only
      expect(p.ai.requests.length - aiCallsAtHandoff).toBe(1);
      expect(p.braze.requests.map((r) => replyText(r.body))).toEqual(['A person will answer you here shortly.']);
    });
  });
});
