import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { listen } from '@bridge/shared';
import { createHealthServer } from '../../src/health-server';
import { captureLogger } from '../../../../test/helpers/capture-logger';

describe('the worker health server', () => {
  const servers: Array<ReturnType<typeof createHealthServer>> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => { s.close(resolve); s.closeAllConnections(); })));
  });
  const start = async (isReady: () => Promise<boolean>) => {
    const logs = captureLogger();
    const server = createHealthServer(isReady, new Registry(), logs.log);
    servers.push(server);
    await listen(server, 0, '127.0.0.1');
    const get = (route: string, init?: RequestInit) => fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${route}`, init);
    return { get, logs };
  };

  test('when the readiness check throws, then /readyz answers a generic 500 and the cause goes to the log only', async () => {
    // Arrange
    const { get, logs } = await start(async () => { throw new Error('connect ECONNREFUSED 10.1.2.3:6379 (internal detail)'); });

    // Act
    const res = await get('/readyz');
    const text = await res.text();

    // Assert
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
    expect(text).not.toMatch(/ECONNREFUSED|internal detail|10\.1\.2\.3/);
    expect(logs.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'health server error', error: expect.objectContaining({ message: expect.stringContaining('internal detail') }) }));
  });

  test.each([
    ['GET', '/healthz', 200],
    ['GET', '/readyz', 200],
    ['GET', '/metrics', 200],
    ['GET', '/nowhere', 404],
    ['POST', '/healthz', 405],
  ])('when %s %s is asked, then it answers %s with the security headers', async (method, route, status) => {
    const { get } = await start(async () => true);
    const res = await get(route, { method });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
