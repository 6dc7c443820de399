import http from 'node:http';
import type { Registry } from 'prom-client';

/** /healthz (alive), /readyz (can work), /metrics on a bare node:http server. */
export function startHealthServer(port: number, isReady: () => Promise<boolean>, registry: Registry): http.Server {
  const server = http.createServer(async (req, res) => {
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
      return send(500, JSON.stringify({ error: { code: 'INTERNAL', message: (err as Error).message } }));
    }
  });
  server.listen(port);
  return server;
}
