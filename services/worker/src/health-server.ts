import type http from 'node:http';
import { createHttpServer, securityHeaders, type Logger } from '@bridge/shared';
import type { Registry } from 'prom-client';

/** /healthz (alive), /readyz (can work), /metrics on a bare node:http server; listen() is the caller's. */
export function createHealthServer(isReady: () => Promise<boolean>, registry: Registry, log: Logger): http.Server {
  const headers = securityHeaders();
  return createHttpServer((req, res) => headers(req, res, async () => {
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(body);
    };
    try {
      if (req.method !== 'GET') return send(405, JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: 'GET only' } }));
      if (req.url === '/healthz') return send(200, JSON.stringify({ status: 'ok' }));
      if (req.url === '/readyz') {
        const ready = await isReady();
        return send(ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'unavailable' }));
      }
      if (req.url === '/metrics') return send(200, await registry.metrics(), registry.contentType);
      return send(404, JSON.stringify({ error: { code: 'NOT_FOUND', message: 'No such route' } }));
    } catch (err) {
      log.error('health server error', { route: req.url, error: err });
      return send(500, JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal error' } }));
    }
  }));
}
