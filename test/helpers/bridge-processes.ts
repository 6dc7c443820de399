import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startRedisServer, type RedisServer } from './redis-server';
import { brazeOk, echoAi, startStandIn, type StandIn } from './stand-in-server';
import { startService, type ServiceProcess } from './service-process';
import { WEBHOOK_SECRET, uniquePrefix, workerEnv } from './test-env';

const REDIS_OPTIONS = { appendonly: true, appendfsync: 'everysec' } as const;

/** What a suite's Redis must offer: a URL the services connect to, and a way to stop it. */
export interface BridgeRedis {
  url: string;
  stop(signal?: NodeJS.Signals): Promise<unknown>;
}

export interface BridgeOptions<R extends BridgeRedis> {
  /** starts each test's Redis; default a single redis-server with AOF on, as compose ships it */
  startRedis?: () => Promise<R>;
  /** more environment for both services, fixed or made from the started Redis (e.g. its CA file) */
  env?: Record<string, string> | ((redis: R) => Record<string, string>);
  /** the key prefix; default a new one per test */
  prefix?: string;
}

/**
 * For e2e suites: each test gets its own Redis (by default a redis-server with AOF on), stand-in
 * AI and Braze servers, and the built services as processes, all stopped after the test.
 */
export function useBridgeProcesses<R extends BridgeRedis = RedisServer>(options: BridgeOptions<R> = {}) {
  // the default Redis's data dir outlives a restart (restartRedis), so it is removed after the test
  let dataDir: string | undefined;
  const startDefaultRedis = () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-redis-'));
    return startRedisServer({ ...REDIS_OPTIONS, dir: dataDir });
  };
  const startRedis = options.startRedis ?? (startDefaultRedis as unknown as () => Promise<R>);
  let redis: R;
  let ai: StandIn;
  let braze: StandIn;
  let prefix: string;
  const services: ServiceProcess[] = [];

  beforeEach(async () => {
    redis = await startRedis();
    ai = await startStandIn(echoAi);
    braze = await startStandIn(brazeOk);
    prefix = options.prefix ?? uniquePrefix();
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
    await Promise.all([ai.close(), braze.close(), redis.stop('SIGKILL')]);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => {
    const suiteEnv = typeof options.env === 'function' ? options.env(redis) : options.env;
    return workerEnv({ redisUrl: redis.url, prefix, aiUrl: `${ai.url}/v1`, brazeUrl: braze.url }, { LOG_LEVEL: 'info', WEBHOOK_SECRET, ...suiteEnv, ...extra });
  };

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
    /** Redis back on the same port and data directory, as after a restart (the default single redis-server only). */
    async restartRedis() {
      if (options.startRedis) throw new Error('restartRedis() restarts the default redis-server only');
      const old = redis as unknown as RedisServer;
      redis = (await startRedisServer({ ...REDIS_OPTIONS, port: old.port, dir: old.dir })) as unknown as R;
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
