import type { Request, Response } from 'express';
import { ConversationId, type Logger, type RedisClient } from '@bridge/shared';

export interface AgentFeedOptions {
  /** a connection of its own: in subscriber mode it can send nothing else */
  subscriber: RedisClient;
  /** bridgeKeys(prefix).agentsFeed */
  channel: string;
  log: Logger;
  /** open streams per dashboard process; more get 503 */
  maxStreams?: number;
  /** comment lines this often, so proxies and load balancers keep an idle stream open */
  heartbeatMs?: number;
  /** a stream whose unsent output grows past this (a stalled client) is closed */
  maxBufferedBytes?: number;
}

/** how long a browser waits before it reconnects a dropped stream */
const RECONNECT_MS = 3_000;

/**
 * The console's live stream: one Redis subscription per dashboard process, fanned out to every
 * connected browser as server-sent events. `conversation` names a conversation that changed (the
 * page fetches it again); `resync` follows a Redis reconnect, when changes may have been missed.
 */
export function createAgentFeed({ subscriber, channel, log, maxStreams = 200, heartbeatMs = 20_000, maxBufferedBytes = 256 * 1024 }: AgentFeedOptions) {
  const streams = new Set<Response>();
  let subscribed = false;
  let closed = false;

  function write(res: Response, chunk: string) {
    if (res.writableLength > maxBufferedBytes) {
      streams.delete(res);
      res.end();
      return;
    }
    res.write(chunk);
  }
  const broadcast = (chunk: string) => { for (const res of streams) write(res, chunk); };

  const onMessage = (from: string, id: string) => {
    if (from !== channel || !ConversationId.safeParse(id).success) return;
    broadcast(`event: conversation\ndata: ${JSON.stringify({ conversation_id: id })}\n\n`);
  };
  // After a reconnect ioredis subscribes again by itself (autoResubscribe), but 'ready' comes
  // before that SUBSCRIBE is answered. Ours, sent after it, is answered once the subscription is
  // back; then the pages fetch everything again, since what was published meanwhile is lost.
  const onReady = () => {
    if (!subscribed || closed) return;
    subscriber.subscribe(channel).then(() => broadcast('event: resync\ndata: {}\n\n'), () => undefined);
  };
  subscriber.on('message', onMessage);
  subscriber.on('ready', onReady);
  const subscription = subscriber.subscribe(channel).then(
    () => { subscribed = true; },
    (err: Error) => { if (!closed) log.error('the agent console cannot subscribe to its live feed', { error: err.message }); },
  );

  const heartbeat = setInterval(() => broadcast(': keep-alive\n\n'), heartbeatMs);
  heartbeat.unref();

  return {
    /** GET handler: holds the response open as an event stream until the browser leaves */
    stream(req: Request, res: Response) {
      if (streams.size >= maxStreams) {
        res.setHeader('Retry-After', '10');
        res.status(503).json({ error: { code: 'TOO_MANY_STREAMS', message: `This dashboard already serves ${maxStreams} live streams; try again shortly` } });
        return;
      }
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      // no-transform: proxies must not compress or buffer the stream; X-Accel-Buffering: nginx's switch for it
      res.setHeader('Cache-Control', 'no-cache, no-transform');
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      res.write(`retry: ${RECONNECT_MS}\n: connected\n\n`);
      streams.add(res);
      req.socket.setKeepAlive(true);
      const leave = () => { streams.delete(res); };
      req.on('close', leave);
      res.on('error', leave);
    },
    get size() {
      return streams.size;
    },
    /** resolves once the subscription is in place (tests; start-up does not wait for it) */
    ready: () => subscription,
    async close() {
      closed = true;
      clearInterval(heartbeat);
      subscriber.off('message', onMessage);
      subscriber.off('ready', onReady);
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}
export type AgentFeed = ReturnType<typeof createAgentFeed>;
