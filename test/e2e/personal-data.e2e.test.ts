import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Redis as RedisClient } from 'ioredis';
import { useBridgeProcesses } from '../helpers/bridge-processes';
import { freePort, startRedisCluster } from '../helpers/redis-server';
import { startService, type ServiceProcess } from '../helpers/service-process';
import { dumpKeys, keysHolding } from '../helpers/redis-dump';
import { startStandIn, type StandIn } from '../helpers/stand-in-server';
import { WEBHOOK_SECRET } from '../helpers/test-env';
import { verbatimBody } from '../helpers/webhook';

const CONVERSATION_FILE = path.resolve(__dirname, '../../examples/conversation.yaml');
const AGENT_TOKEN = 'agent-api-token-e2e-0123456789abcdef';
const ADMIN_TOKEN = 'admin-api-token-e2e-0123456789abcdef';
const AGENT_WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const DASHBOARD_PASSWORD = 'dashboard-password-e2e-4711';
const PERSON = { userId: 'pii-user-3141', brazeId: 'pii-braze-2718', phone: '+15559990142', name: 'Yolanda Xyst' };
const TEXTS = {
  ai: 'what about parcel qv-5531',
  flowStart: 'RETURN',
  order: '55443322',
  reason: 'Damaged',
  toAgents: 'agent please see qv-8000',
  agent: 'hi from the agent qv-7000',
  verbatim: 'he said "hi" qv-9000',
};

/** Every secret the services were given, and every trace of the person. */
const secrets = (b: { env: () => Record<string, string> }) => [WEBHOOK_SECRET, AGENT_TOKEN, ADMIN_TOKEN, AGENT_WEBHOOK_SECRET, DASHBOARD_PASSWORD, b.env().AI_API_KEY!, b.env().BRAZE_API_KEY!];
const personal = [PERSON.phone, PERSON.phone.slice(1), PERSON.name, TEXTS.ai, TEXTS.order, TEXTS.toAgents, TEXTS.agent, TEXTS.verbatim, 'qv-5531', 'qv-7000', 'qv-8000', 'qv-9000'];

describe('personal data and the logs, end to end', () => {
  let receiver: StandIn;
  const b = useBridgeProcesses({
    env: () => ({
      LOG_LEVEL: 'debug', CONVERSATION_FILE, LIVE_AGENTS: 'true', BRAZE_SYNC_PROFILE: 'true',
      AGENT_API_TOKEN: AGENT_TOKEN, ADMIN_API_TOKEN: ADMIN_TOKEN, AGENT_WEBHOOK_URL: receiver.url, AGENT_WEBHOOK_SECRET,
    }),
  });
  beforeEach(async () => { receiver = await startStandIn(() => ({ status: 204 })); });
  afterEach(() => receiver.close());

  test('when a whole conversation runs at LOG_LEVEL=debug (AI answer, flow, handoff, agent messages, release, erasure, dashboard), then no log line of any service holds a phone number, name, message text or secret', async () => {
    const ingest = await b.start('ingest');
    const worker = await b.start('worker');
    const dashboard = await startService('dashboard', await freePort(), { ...b.env(), DASHBOARD_USERNAME: 'admin', DASHBOARD_PASSWORD });
    try {
      const api = (route: string, method: string, body?: unknown, token = AGENT_TOKEN) => fetch(`http://127.0.0.1:${ingest.port}${route}`, {
        method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const say = async (message: string, n: number) => {
        await b.postAccepted(ingest, { user_id: PERSON.userId, braze_id: PERSON.brazeId, phone_number: PERSON.phone, message_id: `wamid.${n}`, profile_name: PERSON.name, message });
        await b.braze.waitForRecipients(n);
      };

      await say(TEXTS.ai, 1);
      // a template without json_escape: the text is recovered, with a warning
      await b.postAccepted(ingest, verbatimBody(TEXTS.verbatim, { braze_id: PERSON.brazeId, user_id: PERSON.userId, phone_number: PERSON.phone }));
      await b.braze.waitForRecipients(2);
      await say(TEXTS.flowStart, 3);
      await say(TEXTS.order, 4);
      await say('AGENT', 5);
      expect((await api('/agent/messages', 'POST', { user_id: PERSON.userId, message: TEXTS.agent, agent_name: 'Maria' })).status).toBe(202);
      await b.braze.waitForRecipients(6);
      await b.postAccepted(ingest, { user_id: PERSON.userId, braze_id: PERSON.brazeId, phone_number: PERSON.phone, message: TEXTS.toAgents });
      await receiver.waitUntil((all) => all.some((r) => r.raw.includes('qv-8000')));
      expect((await api('/agent/conversations', 'GET')).status).toBe(200);
      expect((await api('/agent/release', 'POST', { user_id: PERSON.userId, agent_name: 'Maria' })).status).toBe(200);
      await receiver.waitUntil((all) => all.some((r) => r.raw.includes('handoff.ended')));

      const auth = (password: string) => ({ headers: { Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` } });
      expect((await fetch(`http://127.0.0.1:${dashboard.port}/api/queues`, auth('not-the-password'))).status).toBe(401);
      const board = await fetch(`http://127.0.0.1:${dashboard.port}/api/queues`, auth(DASHBOARD_PASSWORD));
      expect(board.status).toBe(200);
      expect(await board.text()).not.toContain(PERSON.phone); // the dashboard masks job data

      expect((await api(`/users/${PERSON.userId}/data`, 'DELETE', undefined, ADMIN_TOKEN)).status).toBe(200);

      // the conversation really went through every part
      expect(b.braze.requests.map((r) => JSON.stringify(r.body)).join()).toContain('qv-5531');
      expect(b.braze.recipients().map((r) => r.trigger_properties?.external_system_msg_body)).toEqual(expect.arrayContaining(['What is your order number?', TEXTS.agent]));
      const services: ServiceProcess[] = [ingest, worker, dashboard];
      const lines = services.flatMap((s) => s.output().split('\n').filter(Boolean).map((line) => ({ service: s.name, line })));
      expect(lines.filter((l) => l.line.includes('"level":"http"')).length).toBeGreaterThan(5);
      expect(lines.some((l) => l.line.includes('json_escape'))).toBe(true);
      expect(lines.some((l) => l.line.includes('personal data erased'))).toBe(true);
      const needles = [...personal, ...secrets(b)];
      expect(lines.flatMap((l) => needles.filter((n) => l.line.includes(n)).map((n) => `${l.service}: ${n} in ${l.line.slice(0, 300)}`))).toEqual([]);
    } finally {
      await dashboard.stop('SIGKILL');
    }
  }, 90_000);
});

describe('erasure on a Redis Cluster', () => {
  const b = useBridgeProcesses({ startRedis: startRedisCluster, env: { REDIS_CLUSTER: 'true', ADMIN_API_TOKEN: ADMIN_TOKEN }, prefix: '{bridge}' });

  test('when a person is erased on a three-node cluster, then no node holds a key or value of theirs', async () => {
    const ingest = await b.start('ingest');
    await b.start('worker');
    // other people, whose keys stay
    for (let i = 0; i < 6; i++) await b.postAccepted(ingest, { user_id: `someone-${i}`, braze_id: `bz-someone-${i}`, message: `hello ${i}` });
    await b.postAccepted(ingest, { user_id: PERSON.userId, braze_id: PERSON.brazeId, phone_number: PERSON.phone, message_id: 'wamid.c1', message: TEXTS.ai });
    await b.postAccepted(ingest, { braze_id: PERSON.brazeId, phone_number: PERSON.phone, message: TEXTS.order });
    await b.braze.waitForRecipients(8);
    expect(b.braze.recipients().map((r) => r.trigger_properties.external_system_msg_body)).toContain(`echo: ${TEXTS.ai}`);
    const holders = async () => {
      const found: string[] = [];
      for (const node of b.redis.nodes) {
        const c = new RedisClient(node.url);
        found.push(...keysHolding(await dumpKeys(c, b.prefix), [PERSON.userId, PERSON.brazeId, PERSON.phone, 'qv-5531', TEXTS.order]).map((k) => `${node.port} ${k.key}`));
        c.disconnect();
      }
      return found;
    };
    expect((await holders()).length).toBeGreaterThan(0);

    const res = await fetch(`http://127.0.0.1:${ingest.port}/users/${PERSON.brazeId}/data`, { method: 'DELETE', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });

    expect(res.status).toBe(200);
    expect(await holders()).toEqual([]);
    const others = [];
    for (const node of b.redis.nodes) {
      const c = new RedisClient(node.url);
      others.push(...keysHolding(await dumpKeys(c, b.prefix), ['hello 3']));
      c.disconnect();
    }
    expect(others.length).toBeGreaterThan(0);
  }, 90_000);
});
