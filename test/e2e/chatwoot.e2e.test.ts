import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { conversationIdFor, conversationKeys } from '@bridge/shared';
import { useBridgeProcesses } from '../helpers/bridge-processes';
import { startChatwootMock, type ChatwootMock } from '../helpers/chatwoot-mock';
import { agentMessage, chatwootHeaders, statusChanged } from '../helpers/chatwoot-webhooks';
import { eventually, type ServiceProcess } from '../helpers/service-process';
import { replyText } from '../helpers/stand-in-server';
import { buildWebhookBody } from '../helpers/webhook';

const SECRET = 'inbox-secret-0123456789ab';
const HANDOFF_TEXT = 'A person will answer you here shortly.';

/** The built ingest and worker as processes, with a Prism mock of the project's Chatwoot API description standing in for Chatwoot. */
describe('Chatwoot as the agents\' desk, end to end', () => {
  let dir: string;
  let mock: ChatwootMock;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-chatwoot-e2e-'));
    writeFileSync(path.join(dir, 'conversation.yaml'), 'routes:\n  - name: human\n    match: { keywords: [AGENT] }\n    action: handoff\n');
    mock = await startChatwootMock();
  });
  afterAll(async () => {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const b = useBridgeProcesses({
    env: () => ({ CONVERSATION_FILE: path.join(dir, 'conversation.yaml'), CHATWOOT_URL: mock.url, CHATWOOT_WEBHOOK_SECRET: SECRET }),
  });
  const texts = () => b.braze.requests.map((r) => replyText(r.body));
  const fromChatwoot = (ingest: ServiceProcess, payload: unknown) => {
    const raw = JSON.stringify(payload);
    return fetch(`http://127.0.0.1:${ingest.port}/webhooks/chatwoot`, { method: 'POST', headers: chatwootHeaders(SECRET, raw), body: raw });
  };

  test('when a customer asks for a person, then the agent works in Chatwoot: the transcript and new messages appear there, a reply delivered twice reaches the customer once, "resolved" gives the user back to the bot, and no call broke the description', async () => {
    const ingest = await b.start('ingest');
    await b.start('worker', { CHATWOOT_API_TOKEN: 'chatwoot-user-token', CHATWOOT_ACCOUNT_ID: '1', CHATWOOT_INBOX_ID: '3' });

    await b.postAccepted(ingest, buildWebhookBody({ message: 'my parcel is late', profile_name: 'Ana' }));
    await b.braze.waitForRequests(1);
    await b.postAccepted(ingest, buildWebhookBody({ message: 'AGENT', profile_name: 'Ana' }));
    await mock.waitUntil(() => mock.messages().length >= 4);
    await b.postAccepted(ingest, buildWebhookBody({ message: 'are you there?' }));
    await mock.waitUntil(() => mock.messages().length >= 5);

    const reply = agentMessage({ id: 9001, conversationId: 128, content: 'Hi Ana, Maria here.' });
    const answers = [await fromChatwoot(ingest, reply), await fromChatwoot(ingest, reply)];
    await b.braze.waitUntil(() => texts().includes('Hi Ana, Maria here.'));
    const resolved = await fromChatwoot(ingest, statusChanged({ conversationId: 128, status: 'resolved' }));
    // the worker acts on the resolve in its own time; the user is the bot's once the owner is gone
    const redis = new Redis(b.redis.url, { maxRetriesPerRequest: 1 });
    const state = conversationKeys(b.prefix, conversationIdFor({ external_user_id: 'user-1' })).state;
    await eventually(async () => (await redis.hget(state, 'owner')) === null, 10_000, 'the user back with the bot').finally(() => redis.disconnect());
    await b.postAccepted(ingest, buildWebhookBody({ message: 'thanks, one more thing' }));
    await b.braze.waitUntil(() => texts().includes('echo: thanks, one more thing'));

    expect(await Promise.all(answers.map((r) => r.json()))).toEqual([{ status: 'queued', id: 'cw-reply-9001' }, { status: 'duplicate', id: 'cw-reply-9001' }]);
    expect(((await resolved.json()) as { status: string }).status).toBe('queued');
    expect(texts()).toEqual(['echo: my parcel is late', HANDOFF_TEXT, 'Hi Ana, Maria here.', 'echo: thanks, one more thing']);
    expect(mock.requests.find((r) => r.method === 'POST' && r.path.endsWith('/contacts'))!.body).toEqual({ inbox_id: 3, identifier: 'user-1', name: 'Ana', phone_number: '+15550000001' });
    expect(mock.messages().map((m) => `${m.private ? 'note' : m.type}: ${m.content}`)).toEqual([
      'incoming: my parcel is late', 'note: Bot: echo: my parcel is late', 'incoming: AGENT', 'note: Handed to a person (human).', 'incoming: are you there?',
    ]);
    expect(mock.violations()).toEqual([]);
    expect(ingest.output()).not.toContain(SECRET);
  });
});
