import http from 'node:http';

/** The limits every listener of the bridge runs with (ingest, dashboard, the worker's health port). */
export interface ListenerLimits {
  /** the whole request, headers and body, must have arrived by then (answers 408) */
  requestTimeoutMs: number;
  /** the headers must have arrived by then (answers 408); below requestTimeoutMs */
  headersTimeoutMs: number;
  /** longer than the 60 s idle timeout of common load balancers, so the server never closes a socket a proxy is about to reuse */
  keepAliveTimeoutMs: number;
  /** all request headers together (answers 431) */
  maxHeaderBytes: number;
  /** how often node looks for requests past their timeouts */
  checkIntervalMs: number;
}

export const LISTENER_LIMITS: ListenerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 65_000,
  maxHeaderBytes: 16 * 1024,
  checkIntervalMs: 1_000,
};

/**
 * A node:http server with the bridge's limits. Bodies are limited where they are read (the
 * ingest's webhook parser, the dashboard's JSON parser); the timeouts bound how long a slow
 * client can hold a request open, never how long an answer (a stream) may take.
 */
export function createHttpServer(handler: http.RequestListener, limits: ListenerLimits = LISTENER_LIMITS): http.Server {
  const server = http.createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    handler,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  return server;
}

/** Resolves once the server listens; rejects when it cannot (a port in use). */
export function listen(server: http.Server, port: number, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
