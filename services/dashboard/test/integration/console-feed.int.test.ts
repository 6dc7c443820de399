import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { ALL_QUEUES, LISTENER_LIMITS, bridgeKeys, closeRedis, conversationIdFor, createHttpServer, createRedis, listen, type RedisClient } from '@bridge/shared';
import { AGENT, basic, makeConsoleDashboard } from '../helpers/dashboard-app';
import { captureLogger } from '../../../../test/helpers/capture-logger';
import { startRedisCluster, startRedisServer, type RedisServer } from '../../../../test/helpers/redis-server';
import { eventually } from '../../../../test/helpers/service-process';
import { testRedisUrl, uniquePrefix } from '../../../../test/helpers/test-env';

interface Frame { event?: string; data?: string; comment?: string; retry?: string }

/** A server-sent event stream read as a browser's EventSource reads it. */
async function openStream(url: string) {
  const frames: Frame[] = [];
  const waiters: Array<() => void> = [];
  const req = http.get(url, { headers: { Authorization: basic(AGENT), Accept: 'text/event-stream' } });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => { req.on('response', resolve); req.on('error', reject); });
  let buffer = '';
  let ended = false;
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffer += chunk;
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const frame: Frame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) frame.comment = line.slice(1).trim();
        else {
          const [field, ...rest] = line.split(':');
          (frame as Record<string, string>)[field!] = rest.join(':').trim();
        }
      }
      frames.push(frame);
      for (const wake of waiters.splice(0)) wake();
    }
  });
  res.on('end', () => { ended = true; for (const wake of waiters.splice(0)) wake(); });
  let body = '';
  if (res.statusCode !== 200) await new Promise((resolve) => { res.on('data', (c: string) => { body += c; }); res.on('end', resolve); });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: () => JSON.parse(body || buffer) as { error: { code: string } },
    frames,
    get ended() { return ended; },
    /** resolves with the first frame that matches, as it arrives */
    async next(match: (f: Frame) => boolean): Promise<Frame> {
      for (;;) {
        const found = frames.find(match);
        if (found) return found;
        if (ended) throw new Error('the stream ended');
        await new Promise<void>((wake) => waiters.push(wake));
      }
    },
    close: () => req.destroy(),
  };
}
const isConversation = (id: string) => (f: Frame) => f.event === 'conversation' && f.data === JSON.stringify({ conversation_id: id });

describe('the agent console\'s live stream (server-sent events) on a real Redis', () => {
  let redis: Redis;
  let subscriber: Redis;
  let queues: Queue[];
  let prefix: string;
  let server: http.Server;
  let url: string;
  let dashboard: Awaited<ReturnType<typeof makeConsoleDashboard>>;

  async function start(options: Parameters<typeof makeConsoleDashboard>[4] = {}, limits = LISTENER_LIMITS) {
    dashboard = await makeConsoleDashboard(queues, redis, subscriber, prefix, options);
    server = createHttpServer(dashboard.app, limits);
    await listen(server, 0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent/api/events`;
  }
  beforeEach(async () => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    subscriber = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    prefix = uniquePrefix();
    queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix }));
  });
  afterEach(async () => {
    await dashboard.close();
    await new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    subscriber.disconnect();
  });

  test('when a handed-off conversation changes, then every open stream names it, and other messages on the channel are ignored', async () => {
    // Arrange
    await start();
    const streams = [await openStream(url), await openStream(url)];
    const id = conversationIdFor({ external_user_id: 'user-1' });

    // Act
    await redis.publish(bridgeKeys(prefix).agentsFeed, 'not a conversation id');
    await redis.publish(bridgeKeys(prefix).agentsFeed, id);
    const received = await Promise.all(streams.map((s) => s.next(isConversation(id))));
    for (const s of streams) s.close();

    // Assert
    expect(received).toHaveLength(2);
    expect(streams[0]!.status).toBe(200);
    expect(streams[0]!.headers).toMatchObject({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' });
    expect(streams[0]!.frames[0]).toEqual({ retry: '3000', comment: 'connected' });
    expect(streams.flatMap((s) => s.frames.filter((f) => f.event))).toEqual([
      { event: 'conversation', data: JSON.stringify({ conversation_id: id }) },
      { event: 'conversation', data: JSON.stringify({ conversation_id: id }) },
    ]);
  });

  test('when the stream is idle, then comment lines keep it open', async () => {
    await start({ heartbeatMs: 50 });
    const stream = await openStream(url);

    const heartbeat = await stream.next((f) => f.comment === 'keep-alive');
    stream.close();

    expect(heartbeat).toEqual({ comment: 'keep-alive' });
  });

  test('when a stream stays open longer than the listener\'s request timeout, then it is not cut', async () => {
    // Arrange: a 300 ms request timeout, checked every 50 ms; heartbeats every 100 ms tell the time
    await start({ heartbeatMs: 100 }, { ...LISTENER_LIMITS, requestTimeoutMs: 300, headersTimeoutMs: 200, checkIntervalMs: 50 });
    const stream = await openStream(url);

    // Act
    await stream.next(() => stream.frames.filter((f) => f.comment === 'keep-alive').length >= 6);
    stream.close();

    // Assert
    expect(stream.ended).toBe(false);
  });

  test('when the streams are at their cap, then one more gets 503 with Retry-After, and a place frees when a browser leaves', async () => {
    // Arrange
    await start({ maxStreams: 2 });
    const open = [await openStream(url), await openStream(url)];

    // Act
    const refused = await openStream(url);
    open[0]!.close();
    await eventually(() => dashboard.feed.size === 1, 5_000, 'the closed stream to be dropped');
    const accepted = await openStream(url);
    accepted.close();
    open[1]!.close();

    // Assert
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.body().error.code).toBe('TOO_MANY_STREAMS');
    expect(accepted.status).toBe(200);
    await eventually(() => dashboard.feed.size === 0, 5_000, 'every stream to be dropped');
  });

  test('when the dashboard shuts its console down, then the open streams end', async () => {
    await start();
    const stream = await openStream(url);

    await dashboard.close();
    await stream.next(() => false).catch(() => undefined);

    expect(stream.ended).toBe(true);
    expect(dashboard.feed.size).toBe(0);
  });
});

describe('the agent console when Redis blinks', () => {
  let redisServer: RedisServer;
  let consoleRedis: RedisClient;
  let subscriber: RedisClient;
  let queues: Queue[];
  let server: http.Server;
  let dashboard: Awaited<ReturnType<typeof makeConsoleDashboard>>;
  afterEach(async () => {
    await dashboard.close();
    await new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
    await Promise.all(queues.map((q) => q.close()));
    await Promise.all([consoleRedis, subscriber].map(closeRedis));
    await redisServer.stop();
  });

  test('when Redis goes away and comes back, then requests get 503 meanwhile, the stream stays open, and it resubscribes and tells the page to fetch again', async () => {
    // Arrange: the connections main.ts makes: fail-fast for requests, waiting for the subscription
    redisServer = await startRedisServer();
    const prefix = uniquePrefix();
    const { log, lines } = captureLogger();
    consoleRedis = createRedis(redisServer.url, 'producer', log, 'dashboard-console');
    subscriber = createRedis(redisServer.url, 'worker', log, 'dashboard-feed');
    queues = ALL_QUEUES.map((name) => new Queue(name, { connection: consoleRedis, prefix }).on('error', () => undefined));
    dashboard = await makeConsoleDashboard(queues, consoleRedis, subscriber, prefix);
    server = createHttpServer(dashboard.app);
    await listen(server, 0, '127.0.0.1');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const list = () => fetch(`${base}/agent/api/conversations`, { headers: { Authorization: basic(AGENT) } });
    const stream = await openStream(`${base}/agent/api/events`);
    const id = conversationIdFor({ external_user_id: 'user-1' });

    // Act: Redis crashes
    await redisServer.stop('SIGKILL');
    const during = await list();
    const duringBody = await during.json() as { error: { code: string } };
    redisServer = await startRedisServer({ port: redisServer.port });
    const resync = await stream.next((f) => f.event === 'resync');
    const publisher = new Redis(redisServer.url);
    await publisher.publish(bridgeKeys(prefix).agentsFeed, id);
    await stream.next(isConversation(id));
    publisher.disconnect();
    const after = await list();
    stream.close();

    // Assert
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect(duringBody.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(stream.ended).toBe(false);
    expect(resync).toEqual({ event: 'resync', data: '{}' });
    expect(after.status).toBe(200);
    expect(lines).toContainEqual(expect.objectContaining({ message: 'redis connection restored', redis: 'dashboard-feed' }));
  });
});

describe('the agent console\'s live stream on a Redis Cluster', () => {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
  let clients: Cluster[] = [];
  beforeAll(async () => { cluster = await startRedisCluster(); });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await cluster.stop();
  });

  test('when a change is published through any node, then the cluster subscriber hears it and the stream names it', async () => {
    // Arrange: main.ts's clients with REDIS_CLUSTER=true; the prefix is a hash tag, as a cluster requires
    const prefix = '{bridge}';
    const { log } = captureLogger();
    const consoleRedis = createRedis(cluster.url, 'producer', log, 'dashboard-console', true) as Cluster;
    const subscriber = createRedis(cluster.url, 'worker', log, 'dashboard-feed', true) as Cluster;
    const publisher = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[2]!.port }]);
    clients = [consoleRedis, subscriber, publisher];
    const queues = ALL_QUEUES.map((name) => new Queue(name, { connection: consoleRedis, prefix }));
    const dashboard = await makeConsoleDashboard(queues, consoleRedis, subscriber, prefix);
    const server = createHttpServer(dashboard.app);
    await listen(server, 0, '127.0.0.1');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const stream = await openStream(`${base}/agent/api/events`);
    const id = conversationIdFor({ external_user_id: 'user-1' });

    // Act
    await publisher.publish(bridgeKeys(prefix).agentsFeed, id);
    const frame = await stream.next(isConversation(id));
    const listed = await fetch(`${base}/agent/api/conversations`, { headers: { Authorization: basic(AGENT) } });
    stream.close();
    await dashboard.close();
    await new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
    await Promise.all(queues.map((q) => q.close()));

    // Assert
    expect(frame.event).toBe('conversation');
    expect(listed.status).toBe(200);
  });
});
