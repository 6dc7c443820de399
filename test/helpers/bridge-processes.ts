import { freePort, startRedisServer } from './redis-server';
import { brazeOk, echoAi, startStandIn, type StandIn } from './stand-in-server';
import { startService, type ServiceProcess } from './service-process';
import { WEBHOOK_SECRET, uniquePrefix, workerEnv } from './test-env';

type RedisServer = Awaited<ReturnType<typeof startRedisServer>>;
const REDIS_OPTIONS = { appendonly: true, appendfsync: 'everysec' } as const;

/**
 * For e2e suites: each test gets its own redis-server (AOF on, as compose ships it), stand-in
 * AI and Braze servers, and the built services as processes, all stopped after the test.
 */
export function useBridgeProcesses() {
  let redis: RedisServer;
  let ai: StandIn;
  let braze: StandIn;
  let prefix: string;
  const services: ServiceProcess[] = [];

  beforeEach(async () => {
    redis = await startRedisServer(REDIS_OPTIONS);
    ai = await startStandIn(echoAi);
    braze = await startStandIn(brazeOk);
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
    await Promise.all([ai.close(), braze.close(), redis.stop('SIGKILL')]);
  });

  const env = (extra: Record<string, string> = {}) => ({ ...workerEnv(prefix, `${ai.url}/v1`, braze.url, extra), REDIS_URL: redis.url, LOG_LEVEL: 'info', WEBHOOK_SECRET });

  return {
    get redis() { return redis; },
    get ai() { return ai; },
    get braze() { return braze; },
    get prefix() { return prefix; },
    env,
    async start(name: 'ingest' | 'worker', extra: Record<string, string> = {}) {
      const s = await startService(name, await freePort(), env(extra));
      services.push(s);
      return s;
    },
    /** Redis back on the same port and data directory, as after a restart. */
    async restartRedis() {
      redis = await startRedisServer({ ...REDIS_OPTIONS, port: redis.port, dir: redis.dir });
    },
    post,
    /** posts and expects 202; otherwise fails with the answer and the ingest's warnings, so a failure says why */
    async postAccepted(ingest: ServiceProcess, body: unknown) {
      const res = await post(ingest, body);
      if (res.status !== 202) {
        const warnings = ingest.logs.filter((l) => l.level !== 'info').map((l) => JSON.stringify(l)).join('\n');
        throw new Error(`webhook answered ${res.status} ${await res.text()}\ningest warnings:\n${warnings}`);
      }
      return res;
    },
  };
}

function post(ingest: ServiceProcess, body: unknown, secret = WEBHOOK_SECRET) {
  return fetch(`http://127.0.0.1:${ingest.port}/webhooks/braze/whatsapp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Webhook-Secret': secret },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
