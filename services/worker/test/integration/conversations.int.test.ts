import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { profileJobIdFor, sendJobIdFor } from '@bridge/shared';
import { WEBHOOK_PATH } from '../../../ingest/src/app';
import { startPipeline, type Pipeline } from '../../../../test/helpers/pipeline';
import { brazeOk, echoAi, replyText } from '../../../../test/helpers/stand-in-server';
import { WEBHOOK_SECRET } from '../../../../test/helpers/test-env';
import { buildWebhookBody } from '../../../../test/helpers/webhook';

const FILE = `
routes:
  - name: hours
    match: { keywords: [HOURS, HORÁRIO] }
    action: reply
    text: "Open 9-18."
    campaign_id: hours-campaign
  - name: human
    match: { keywords: [AGENT] }
    action: handoff
  - name: returns
    match: { keywords: [RETURN] }
    action: flow
    flow: returns
flows:
  returns:
    steps:
      - id: ask_order
        ask: "What is your order number?"
        capture: { var: order_id, regex: "^[0-9]{6,10}$" }
        retry_text: "An order number has 6 to 10 digits."
      - id: reason
        ask: "Why are you returning it?"
        choices: [Damaged, Wrong item, Other]
        capture: { var: reason }
        campaign_id: quick-reply-campaign
      - id: done
        say: "Thanks! Return for order {{order_id}} ({{reason}}) is registered."
        set_attributes: { last_return_order: "{{order_id}}", returns_requested: { inc: 1 } }
        end: true
`;

const HOUR = 3_600_000;
const sends = (p: Pipeline) => p.braze.requests.filter((r) => r.path === '/campaigns/trigger/send');
const tracks = (p: Pipeline) => p.braze.requests.filter((r) => r.path === '/users/track');

describe('conversations the operator designs, on a real Redis with stand-in AI and Braze', () => {
  let dir: string;
  let conversationFile: string;
  let p: Pipeline;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-conversation-'));
    conversationFile = path.join(dir, 'conversation.yaml');
    writeFileSync(conversationFile, FILE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => p.stop());

  const withFile = (env: Record<string, string> = {}, options: Parameters<typeof startPipeline>[1] = {}) =>
    startPipeline({ CONVERSATION_FILE: conversationFile, ...env }, { ingestEnv: { CONVERSATION_FILE: conversationFile }, ...options });

  test('when a keyword route matches, then its fixed text goes out through its own campaign and the AI is not called', async () => {
    p = await withFile();
    await p.replied({ message: 'horario!' });

    expect(p.ai.requests).toHaveLength(0);
    expect(sends(p)[0]!.body).toEqual({ campaign_id: 'hours-campaign', recipients: [{ external_user_id: 'user-1', trigger_properties: { external_system_msg_body: 'Open 9-18.' } }] });
  });

  test('when a flow runs across two workers, then it collects the order number over several messages, retries a bad one, and replies in order', async () => {
    p = await withFile({ WORKER_CONCURRENCY: '5' });
    const extra = p.startExtraWorker({ WORKER_CONCURRENCY: '5' });
    const ids: string[] = [];
    for (const message of ['RETURN', '12ab', '1234567', 'wrong item']) ids.push(await p.post({ message }));
    await Promise.all(ids.map((id) => p.finished('send', sendJobIdFor(id))));
    await extra.close();

    expect(sends(p).map((r) => replyText(r.body))).toEqual([
      'What is your order number?',
      'An order number has 6 to 10 digits.',
      'Why are you returning it?',
      'Thanks! Return for order 1234567 (Wrong item) is registered.',
    ]);
    expect(sends(p)[2]!.body).toMatchObject({ campaign_id: 'quick-reply-campaign', recipients: [{ trigger_properties: { choice_1: 'Damaged', choice_2: 'Wrong item', choice_3: 'Other' } }] });
    expect(sends(p)[3]!.body.campaign_id).toBe('campaign-123');
    expect(p.ai.requests).toHaveLength(0);
  });

  test('when the flow is done, then the next message goes to the AI, which sees the captured values as data', async () => {
    p = await withFile();
    for (const message of ['RETURN', '7654321', 'Damaged']) await p.replied({ message });
    await p.replied({ message: 'when will I get my money?' });

    const messages = p.ai.requests[0]!.body.messages as Array<{ role: string; content: string }>;
    expect(messages[0]).toEqual({ role: 'system', content: 'You are a test assistant.' });
    expect(messages[1]!.content).toContain('{"order_id":"7654321","reason":"Damaged"}');
  });

  test.each(['STOP', 'parar', 'Baja.'])('when the customer writes %j, then neither the AI nor Braze hears of it and the next message is answered', async (word) => {
    p = await withFile();
    const silent = await p.post({ message: word });
    expect(await p.finished('generate', silent)).toMatchObject({ route: 'silent' });
    await p.replied({ message: 'hours' });

    expect(sends(p).map((r) => replyText(r.body))).toEqual(['Open 9-18.']);
    expect(p.ai.requests).toHaveLength(0);
  });

  test('when the webhook campaign names a route in its path, then that route answers whatever the text', async () => {
    p = await withFile();
    const res = await request(p.ingest.app).post(`${WEBHOOK_PATH}/Hours`).set('Content-Type', 'application/json').set('X-Webhook-Secret', WEBHOOK_SECRET)
      .send(JSON.stringify(buildWebhookBody({ message: 'anything' })));
    expect(res.status).toBe(202);
    await p.finished('send', sendJobIdFor(res.body.id));

    expect(replyText(sends(p)[0]!.body)).toBe('Open 9-18.');
  });

  test('when the path names a route the file does not have, then the answer is 404 naming it and nothing is stored', async () => {
    p = await withFile();
    const res = await request(p.ingest.app).post(`${WEBHOOK_PATH}/nope`).set('Content-Type', 'application/json').set('X-Webhook-Secret', WEBHOOK_SECRET)
      .send(JSON.stringify(buildWebhookBody()));

    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'UNKNOWN_ROUTE' });
    expect(res.body.error.message).toContain('"nope"');
    expect(await p.worker.generateQueue.count()).toBe(0);
  });

  test('when profile sync is on, then /users/track gets the bridge attributes, the flow\'s attributes and the events', async () => {
    p = await withFile({ BRAZE_SYNC_PROFILE: 'true' });
    const ids: string[] = [];
    for (const message of ['RETURN', '1234567', 'Other']) ids.push(await p.replied({ message }));
    await Promise.all(ids.map((id) => p.finished('profile', profileJobIdFor(id))));

    const attributes = tracks(p).flatMap((r) => r.body.attributes);
    const events = tracks(p).flatMap((r) => r.body.events);
    expect(attributes.at(-1)).toMatchObject({
      external_id: 'user-1', bridge_state: 'bot', bridge_turns: { inc: 1 }, bridge_last_route: 'returns',
      last_return_order: '1234567', returns_requested: { inc: 1 },
      bridge_last_inbound_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), bridge_last_reply_at: expect.stringMatching(/^\d{4}-/),
    });
    expect(attributes[0]).toMatchObject({ bridge_state: 'flow:returns' });
    expect(events.filter((e: { name: string }) => e.name === 'bridge_reply_sent')).toHaveLength(3);
    expect(events.find((e: { name: string }) => e.name === 'bridge_flow_completed')).toMatchObject({ external_id: 'user-1', properties: { flow: 'returns', order_id: '1234567', reason: 'Other' } });
    for (const r of tracks(p)) expect(r.body.attributes.length + r.body.events.length).toBeLessThanOrEqual(75);
  });

  test('when /users/track fails for a while, then replies go out meanwhile and the profile is written once it recovers', async () => {
    p = await withFile({ BRAZE_SYNC_PROFILE: 'true' });
    let failures = 0;
    p.braze.setScript((req, i) => (req.path === '/users/track' && failures++ < 3 ? { status: 503, body: { message: 'down' } } : brazeOk(req, i)));
    const first = await p.replied({ message: 'hours' });
    const second = await p.replied({ message: 'HOURS' });
    await Promise.all([first, second].map((id) => p.finished('profile', profileJobIdFor(id))));

    const [, , , firstWritten, ...more] = tracks(p);
    expect(sends(p)).toHaveLength(2);
    // both replies were out while /users/track was still failing
    expect(sends(p)[1]!.at).toBeLessThanOrEqual(firstWritten!.at);
    const routes = [firstWritten!, ...more].flatMap((r) => r.body.attributes).map((a: { bridge_last_route?: string }) => a.bridge_last_route);
    expect(routes).toEqual(['hours', 'hours']);
  });

  test('when /users/track refuses the key, then the profile job fails at once naming the missing permission, and replies are unaffected', async () => {
    p = await withFile({ BRAZE_SYNC_PROFILE: 'true' });
    p.braze.setScript((req, i) => (req.path === '/users/track' ? { status: 401, body: { message: 'Invalid API key' } } : brazeOk(req, i)));
    const id = await p.replied({ message: 'hours' });

    await expect(p.finished('profile', profileJobIdFor(id))).rejects.toThrow(/BRAZE_PERMISSION: .*users\.track/);
    expect(sends(p)).toHaveLength(1);
  });
});

describe('the 24-hour window', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('when a message waited in a backlog past the window and there is no template campaign, then it fails visibly before any AI call', async () => {
    const receivedAt = Date.now() - 25 * HOUR;
    p = await startPipeline({}, { ingestClock: () => receivedAt });
    const id = await p.post({ message: 'hello' });

    await expect(p.finished('generate', id)).rejects.toThrow(`OUTSIDE_WHATSAPP_WINDOW: last inbound ${new Date(receivedAt).toISOString()}`);
    expect(p.ai.requests).toHaveLength(0);
    expect(sends(p)).toHaveLength(0);
    expect(await p.worker.registry.getSingleMetricAsString('bridge_whatsapp_window_closed_total')).toMatch(/kind="bot"[^}]*} 1/);
  });

  test('when a reply would leave after the window and a template campaign is set, then it goes through the template campaign', async () => {
    const receivedAt = Date.now() - 25 * HOUR;
    p = await startPipeline({ BRAZE_TEMPLATE_CAMPAIGN_ID: 'approved-template' }, { ingestClock: () => receivedAt });
    await p.replied({ message: 'hello' });

    expect(sends(p)[0]!.body).toMatchObject({ campaign_id: 'approved-template', recipients: [{ trigger_properties: { external_system_msg_body: 'echo: hello' } }] });
  });

  test('when the worker\'s clock passes the window while the reply waits, then the send fails with the reason instead of going out', async () => {
    let now = Date.now();
    p = await startPipeline({ BRAZE_BATCH_WAIT_MS: '0' }, { clock: () => now, ingestClock: () => Date.now() });
    p.ai.setScript((req, i) => { now += 24 * HOUR; return echoAi(req, i); });
    const id = await p.post({ message: 'slow answer' });

    await expect(p.finished('send', sendJobIdFor(id))).rejects.toThrow(/^OUTSIDE_WHATSAPP_WINDOW: last inbound/);
    expect(sends(p)).toHaveLength(0);
  });
});

describe('AI answers without text (refusals, empty answers) are final', () => {
  let p: Pipeline;
  afterEach(() => p.stop());

  test('when the AI refuses, then the refusal text goes out after one AI call and it is counted', async () => {
    p = await startPipeline();
    p.ai.enqueue({ status: 200, body: { choices: [{ message: { role: 'assistant', content: null, refusal: 'I can\'t help with that.' }, finish_reason: 'stop' }] } });
    const id = await p.replied({ message: 'something odd' });

    expect(p.ai.requests).toHaveLength(1);
    expect(replyText(sends(p)[0]!.body)).toBe('I can\'t help with that.');
    expect(await p.finished('generate', id)).toMatchObject({ aiUnusable: 'AI_REFUSED' });
    expect(await p.worker.registry.getSingleMetricAsString('bridge_ai_unusable_answers_total')).toMatch(/reason="AI_REFUSED"[^}]*} 1/);
  });

  test.each([
    ['an empty string', { content: '' }],
    ['only whitespace', { content: '   \n' }],
    ['tool calls nobody asked for', { content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] }],
  ])('when the AI answers %s, then the default fallback goes out after one AI call', async (_case, message) => {
    p = await startPipeline();
    p.ai.enqueue({ status: 200, body: { choices: [{ message: { role: 'assistant', ...message } }] } });
    const id = await p.replied();

    expect(p.ai.requests).toHaveLength(1);
    expect(replyText(sends(p)[0]!.body)).toBe('Sorry, we cannot answer right now. Please try again in a little while.');
    expect(await p.finished('generate', id)).toMatchObject({ aiUnusable: 'AI_EMPTY' });
  });

  test('when FALLBACK_MESSAGE is set empty and the AI answers nothing, then nothing is sent and the next message is answered', async () => {
    p = await startPipeline({ FALLBACK_MESSAGE: '' });
    p.ai.enqueue({ status: 200, body: { choices: [{ message: { role: 'assistant', content: '' } }] } });
    const empty = await p.post({ message: 'first' });
    await p.finished('generate', empty);
    await p.replied({ message: 'second' });

    expect(sends(p).map((r) => replyText(r.body))).toEqual(['echo: second']);
  });
});
