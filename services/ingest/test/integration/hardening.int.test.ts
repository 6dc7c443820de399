import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createHttpServer, createMetricsRegistry, listen } from '@bridge/shared';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createIngestMetrics } from '../../src/http/metrics';
import { createIngestApp, type IngestApp } from '../../src/ingest-app';
import { captureLogger } from '../../../../test/helpers/capture-logger';
import { WEBHOOK_SECRET, ingestEnv, testRedisUrl, uniquePrefix } from '../../../../test/helpers/test-env';
import { buildWebhookBody, postWebhook } from '../../../../test/helpers/webhook';

/** The app on a dual-stack listener (::), as in production; 127.0.0.1 clients show up as ::ffff:127.0.0.1. */
async function serveDualStack(app: Parameters<typeof createHttpServer>[0]) {
  const server = createHttpServer(app);
  await listen(server, 0, '::');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (body: unknown) => fetch(`${url}/webhooks/braze/whatsapp`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Webhook-Secret': WEBHOOK_SECRET }, body: JSON.stringify(body),
  });
  return { url, post, close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }) };
}

describe('ingest hardening on a real Redis', () => {
  let ingest: IngestApp | undefined;
  let logs: ReturnType<typeof captureLogger>;
  const start = async (extra: Record<string, string>) => {
    logs = captureLogger();
    ingest = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), uniquePrefix(), extra)), logs.log);
    await ingest.queue.waitUntilReady();
    return ingest;
  };
  afterEach(async () => {
    if (!ingest) return;
    await ingest.queue.obliterate({ force: true });
    await ingest.close();
    ingest = undefined;
  });

  describe('WEBHOOK_ALLOWED_CIDRS', () => {
    test('when the sender is outside the allowlist, then it answers 403 JSON at once, even to a large body, counts it and stores nothing', async () => {
      // Arrange: the test client connects from 127.0.0.1
      const { app, queue } = await start({ WEBHOOK_ALLOWED_CIDRS: '52.58.142.242,10.0.0.0/8' });
      const server = await serveDualStack(app);

      // Act
      const res = await server.post(buildWebhookBody({ message: 'x'.repeat(60_000) }));
      const body = await res.json();
      await server.close();

      // Assert
      expect(res.status).toBe(403);
      expect(body).toEqual({ error: { code: 'FORBIDDEN_SOURCE', message: 'Requests from this address are not accepted' } });
      expect(await queue.count()).toBe(0);
      const metrics = await request(app).get('/metrics');
      expect(metrics.text).toMatch(/bridge_webhooks_total\{outcome="forbidden",service="ingest"\} 1/);
      // a dual-stack listener reports an IPv4 client as IPv4-mapped IPv6
      expect(logs.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'webhook answered', status: 403, address: '::ffff:127.0.0.1' }));
    });

    test('when the sender (IPv4-mapped IPv6 on the socket) is inside an IPv4 range, then the webhook is accepted', async () => {
      const { app } = await start({ WEBHOOK_ALLOWED_CIDRS: '52.58.142.242,127.0.0.0/8' });
      const server = await serveDualStack(app);
      const res = await server.post(buildWebhookBody());
      await server.close();
      expect(res.status).toBe(202);
    });

    test('when the allowlist refuses every sender, then /healthz, /readyz and /metrics still answer', async () => {
      const { app } = await start({ WEBHOOK_ALLOWED_CIDRS: '192.0.2.1' });
      for (const route of ['/healthz', '/readyz', '/metrics']) expect((await request(app).get(route)).status).toBe(200);
    });

    test.each([
      ['a trusted proxy on loopback names an allowed client', 202, 'loopback', '203.0.113.5'],
      ['a trusted proxy on loopback names a client outside the allowlist', 403, 'loopback', '198.51.100.9'],
      ['no proxy is trusted, so the header is ignored', 403, 'false', '203.0.113.5'],
      ['one hop is trusted and the client wrote an allowed address in front of its own', 403, '1', '203.0.113.5, 198.51.100.9'],
    ])('when %s, then it answers %s', async (_name, status, trustProxy, forwardedFor) => {
      const { app } = await start({ WEBHOOK_ALLOWED_CIDRS: '203.0.113.0/24', TRUST_PROXY: trustProxy });
      const res = await postWebhook(app, buildWebhookBody(), { 'X-Webhook-Secret': WEBHOOK_SECRET, 'X-Forwarded-For': forwardedFor });
      expect(res.status).toBe(status);
    });
  });

  describe('WEBHOOK_SECRET rotation', () => {
    const CURRENT = 'current-webhook-secret-0123';
    const NEXT = 'next-webhook-secret-456789';

    test.each([
      ['the current secret', 202, CURRENT],
      ['the next secret', 202, NEXT],
      ['a retired secret', 401, 'retired-webhook-secret-0000'],
    ])('when two secrets are configured and Braze sends %s, then it answers %s', async (_name, status, secret) => {
      const { app } = await start({ WEBHOOK_SECRET: `${CURRENT},${NEXT}` });
      expect((await postWebhook(app, buildWebhookBody(), { Authorization: `Bearer ${secret}` })).status).toBe(status);
    });
  });

  test.each(['/healthz', '/metrics', '/webhooks/braze/whatsapp', '/nowhere'])('when %s answers, then it carries the security headers and a no-content CSP', async (route) => {
    const { app } = await start({});
    const res = await request(app).get(route);
    expect(res.headers).toMatchObject({
      'content-security-policy': "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': expect.stringContaining('max-age='),
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('ingest error answers', () => {
  const deps = (accept: () => Promise<never>) => {
    const registry = createMetricsRegistry('ingest');
    const logs = captureLogger();
    return { logs, app: createApp({ webhookSecrets: [WEBHOOK_SECRET], routes: new Set<string>(), unknownSender: 'braze_id', maxBodyBytes: 65_536, log: logs.log, metrics: createIngestMetrics(registry), registry, accept, isReady: async () => true }) };
  };

  test('when storing throws an unexpected error, then the answer is a generic 500 without its message or stack, and the log has both', async () => {
    // Arrange
    const { app, logs } = deps(async () => { throw new TypeError('internal detail: cannot read properties of undefined'); });

    // Act
    const res = await postWebhook(app, buildWebhookBody());

    // Assert
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
    expect(res.text).not.toMatch(/internal detail|TypeError|\bat /);
    expect(logs.lines).toContainEqual(expect.objectContaining({ level: 'error', error: expect.objectContaining({ message: expect.stringContaining('internal detail'), stack: expect.any(String) }) }));
  });

  test.each([
    ['a route that does not exist', (app: Parameters<typeof request>[0]) => request(app).get('/webhooks/other'), 404, 'NOT_FOUND'],
    ['a body whose charset is not supported', (app: Parameters<typeof request>[0]) => postWebhook(app, '{}', { 'X-Webhook-Secret': WEBHOOK_SECRET, 'Content-Type': 'application/json; charset=klingon' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('when the request is %s, then the answer is JSON naming the problem without internal detail', async (_name, send, status, code) => {
    const { app } = deps(async () => { throw new Error('never reached'); });
    const res = await send(app);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.text).not.toMatch(/\bat |node_modules|Error:/);
  });
});
