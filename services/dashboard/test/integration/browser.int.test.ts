/// <reference lib="dom" />
// (code passed to page.evaluate and addInitScript runs in the browser)
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ALL_QUEUES, JOB, QUEUE, createHttpServer, listen } from '@bridge/shared';
import { ADMIN, makeDashboard } from '../helpers/dashboard-app';
import { launchBrowser, type TestBrowser } from '../../../../test/helpers/browser';
import { eventually } from '../../../../test/helpers/service-process';
import { testRedisUrl, uniquePrefix } from '../../../../test/helpers/test-env';

describe('the dashboard in a real browser (Chromium) under its content security policy', () => {
  let redis: Redis;
  let queues: Queue[];
  let server: http.Server;
  let url: string;
  let browser: TestBrowser;

  beforeAll(async () => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    await redis.ping();
    const prefix = uniquePrefix();
    queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix }));
    await queues.find((q) => q.name === QUEUE.generate)!.add(JOB.generate, { text: 'hello' }, { jobId: 'browser-job-1' });
    const { app } = await makeDashboard(queues, redis, prefix);
    server = createHttpServer(app);
    await listen(server, 0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser({ httpCredentials: { username: ADMIN.name, password: ADMIN.password } });
    // bull-board's page links its fonts from Google Fonts: answered here, after the CSP allowed
    // the request (the browser checks the policy before routing), so the test needs no network
    await browser.context.route(/^https:\/\/fonts\.(googleapis|gstatic)\.com\//, (route) => route.fulfill({ status: 200, contentType: 'text/css', body: '' }));
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
    for (const q of queues) await q.obliterate({ force: true });
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
  });

  test('when an admin signs in with Basic auth, then bull-board lists the queues and their jobs with no CSP violation or page error', async () => {
    // Act
    const response = await browser.page.goto(`${url}/`);
    for (const name of ALL_QUEUES) await browser.page.getByText(name, { exact: true }).first().waitFor({ state: 'visible' });
    await browser.page.goto(`${url}/queue/${QUEUE.generate}?status=waiting`);
    await browser.page.getByText('browser-job-1').first().waitFor({ state: 'visible' });

    // Assert
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(browser.problems).toEqual({ cspViolations: [], consoleErrors: [], pageErrors: [] });
  });

  test('when the UI writes (pause a queue), then the browser\'s same-origin request passes the cross-site check', async () => {
    // Arrange
    await browser.page.goto(`${url}/`);

    // Act: the request bull-board's pause button sends, with the Origin the browser adds
    const status = await browser.page.evaluate((queue) => fetch(`api/queues/${queue}/pause`, { method: 'PUT' }).then((r) => r.status), QUEUE.send);

    // Assert
    expect(status).toBe(200);
    expect(await queues.find((q) => q.name === QUEUE.send)!.isPaused()).toBe(true);
  });

  test('when a page tries to run an inline script, then the CSP blocks it and the violation is reported', async () => {
    // Arrange
    await browser.page.goto(`${url}/`);

    // Act: resolves once the browser reports the violation in the page
    const blocked = await browser.page.evaluate(() => new Promise<string>((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true });
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true';
      document.head.append(script);
    }));
    const ran = await browser.page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected === true);

    // Assert: the page saw it, and so did the helper's collector (its report travels to the test asynchronously)
    expect(blocked).toBe('script-src-elem');
    expect(ran).toBe(false);
    await eventually(() => browser.problems.cspViolations.includes('script-src-elem inline'), 5_000, 'the violation to reach the helper');
  });
});
