import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logging/create-logger';

/** A single Redis or a Redis Cluster: every caller takes either. */
export type RedisClient = Redis | Cluster;

/**
 * producer: for request paths (ingest, readiness). Commands fail at once while Redis is away
 *   instead of queueing, so a webhook gets its 503 within the request deadline.
 * worker: for BullMQ workers and blocking commands. Commands wait for the reconnect
 *   (maxRetriesPerRequest: null, as BullMQ requires) so jobs resume by themselves.
 * Both reconnect forever with a capped backoff.
 */
export type RedisProfile = 'producer' | 'worker';

export function redisOptions(profile: RedisProfile): RedisOptions {
  const common: RedisOptions = {
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    // how long disconnect() waits for the socket to close before destroying it (ioredis: 2 s). It
    // also waits that long on a socket that has already closed (Redis never answered), holding the
    // process open after close()
    disconnectTimeout: 500,
    // TLS comes from a rediss:// URL; keep SNI and certificate checks on
  };
  // the producer also batches the commands of concurrent requests into one write (auto-pipelining)
  return profile === 'producer'
    ? { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 900, enableAutoPipelining: true }
    : { ...common, maxRetriesPerRequest: null, enableReadyCheck: true };
}

/**
 * A client for REDIS_URL (redis:// or rediss:// for TLS; user and password in the URL). With
 * cluster=true the URL names one seed node of a Redis Cluster; TLS and credentials apply to all.
 */
export function createRedis(url: string, profile: RedisProfile, log: Logger, name: string = profile, cluster = false): RedisClient {
  const options = { ...redisOptions(profile), connectionName: `bridge-${name}` };
  const redis: RedisClient = cluster ? createCluster(url, options) : new Redis(url, options);
  let down = false;
  redis.on('error', (err: NodeJS.ErrnoException) => {
    if (!down) log.warn('redis connection error', { redis: name, code: err.code, error: err.message });
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis connection restored', { redis: name });
    down = false;
  });
  return redis;
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A lost or refused connection (as opposed to an error of a command or of the code that sent it). */
export function isConnectionError(err: NodeJS.ErrnoException): boolean {
  return CONNECTION_ERROR_CODES.has(err.code ?? '') || err.message === 'Connection is closed.' || /ECONNREFUSED|ECONNRESET/.test(err.message);
}

/**
 * For BullMQ queues and workers on a client from createRedis: their connection errors are the
 * client's, which reports each outage once, so only the other errors are logged here. Without
 * an 'error' listener BullMQ prints every reconnect attempt's error with its stack to stderr.
 */
export function logQueueErrors(emitter: { on(event: 'error', listener: (err: Error) => void): unknown }, log: Logger, message: string, fields: Record<string, unknown>): void {
  emitter.on('error', (err: NodeJS.ErrnoException) => {
    if (!isConnectionError(err)) log.warn(message, { ...fields, error: err.message });
  });
}

/** Closes a client: QUIT while connected, else drop the socket and stop reconnecting. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}

function createCluster(url: string, options: RedisOptions): Cluster {
  const u = new URL(url);
  const redisOptions: RedisOptions = {
    ...options,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
  };
  return new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
    redisOptions,
    enableOfflineQueue: options.enableOfflineQueue ?? true,
    clusterRetryStrategy: options.retryStrategy,
    // managed clusters announce internal addresses; keep TLS SNI on the name we were given
    dnsLookup: (address, callback) => callback(null, address),
  });
}

const nextReady = new WeakMap<RedisClient, Promise<void>>();

/**
 * For request paths on the fail-fast producer profile: true at once when connected, else waits
 * up to timeoutMs for the connection (start-up, or a reconnect after a blink). Nothing is sent
 * before it is ready, so a request that gives up leaves no command to run late. One listener per
 * wait for the connection, however many requests wait on it.
 */
export async function whenRedisReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  let ready = nextReady.get(redis);
  if (!ready) {
    ready = new Promise<void>((resolve) => redis.once('ready', () => { nextReady.delete(redis); resolve(); }));
    nextReady.set(redis, ready);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
  return Promise.race([ready.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/** Readiness: PING within a deadline; never throws. */
export async function pingRedis(redis: RedisClient, timeoutMs = 500): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), timeoutMs); }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Warns when Redis may evict queue data (anything but noeviction loses jobs under memory
 * pressure). Runs once connected: a cluster knows its nodes only then.
 */
export async function checkEvictionPolicy(redis: RedisClient, log: Logger): Promise<void> {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  try {
    const node = redis instanceof Cluster ? redis.nodes('master')[0] : redis;
    if (!node) return;
    const reply = (await node.config('GET', 'maxmemory-policy')) as unknown as string[];
    const policy = reply[1];
    if (policy && policy !== 'noeviction') {
      log.warn(`redis maxmemory-policy is "${policy}": set it to "noeviction" or Redis may delete queued messages under memory pressure`, { policy });
    }
  } catch {
    // CONFIG may be disabled on managed Redis; nothing to check then
  }
}
