import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WEBHOOK_PATH } from '../../services/ingest/src/app';
import { loadConfig } from '../../services/ingest/src/config';
import { createIngestApp, type IngestApp } from '../../services/ingest/src/ingest-app';
import { captureLogger } from '../helpers/capture-logger';
import { freePort } from '../helpers/redis-server';
import { WEBHOOK_SECRET, ingestEnv, testRedisUrl, uniquePrefix } from '../helpers/test-env';
import { buildWebhookBody } from '../helpers/webhook';

const CADDYFILE = path.resolve(__dirname, '../../deploy/caddy/Caddyfile');

/**
 * Runs Debian's caddy on the shipped Caddyfile with `tls internal`, on free ports (never 80 or
 * 443) and with its state (the local CA included) in `home`. Resolves once the certificate for
 * localhost exists, which caddy logs after its listener is up.
 */
function startCaddy(home: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn('caddy', ['run', '--config', CADDYFILE, '--adapter', 'caddyfile'], {
    env: { PATH: process.env.PATH ?? '', HOME: home, XDG_DATA_HOME: path.join(home, 'data'), XDG_CONFIG_HOME: path.join(home, 'config'), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.once('error', (err) => reject(new Error(`caddy could not start (${err.message}): install it (Debian: apt-get install caddy; macOS: brew install caddy)`)));
    child.once('exit', (code) => reject(new Error(`caddy exited with ${code} at start-up:\n${output}`)));
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"certificate obtained successfully"')) resolve(child);
    });
  });
}

/** One HTTPS request that trusts only `ca`; resolves with the status, content type and body. */
function httpsRequest(port: number, ca: Buffer, options: { method: string; path: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
    const req = https.request({ host: 'localhost', port, ca, method: options.method, path: options.path, headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.once('error', reject);
    req.end(options.body);
  });
}

describe('deploy/caddy/Caddyfile with tls internal in front of the ingest', () => {
  let ingest: IngestApp;
  let server: Server;
  let caddy: ChildProcess;
  let home: string;
  let port: number;
  let rootCa: Buffer;

  beforeAll(async () => {
    ingest = createIngestApp(loadConfig(ingestEnv(testRedisUrl(), uniquePrefix(), { AGENT_API_TOKEN: 'caddy-test-agent-token-0123456789' })), captureLogger().log);
    await ingest.queue.waitUntilReady();
    server = await new Promise<Server>((resolve) => { const s = ingest.app.listen(0, '127.0.0.1', () => resolve(s)); });
    home = mkdtempSync(path.join(os.tmpdir(), 'bridge-caddy-'));
    port = await freePort();
    caddy = await startCaddy(home, {
      BRIDGE_DOMAIN: 'localhost',
      BRIDGE_TLS: 'internal',
      BRIDGE_UPSTREAM: `127.0.0.1:${(server.address() as AddressInfo).port}`,
      CADDY_HTTPS_PORT: String(port),
      CADDY_HTTP_PORT: String(await freePort()),
      CADDY_ADMIN: 'off',
    });
    rootCa = readFileSync(path.join(home, 'data/caddy/pki/authorities/local/root.crt'));
  });

  afterAll(async () => {
    if (caddy && caddy.exitCode === null) {
      const exited = new Promise((resolve) => caddy.once('exit', resolve));
      caddy.kill('SIGTERM');
      await exited;
    }
    await new Promise((resolve) => server?.close(resolve));
    await ingest?.queue.obliterate({ force: true });
    await ingest?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('when a webhook is posted over HTTPS trusting the internal CA, then the ingest answers 202 and stores the job', async () => {
    const res = await httpsRequest(port, rootCa, {
      method: 'POST',
      path: WEBHOOK_PATH,
      headers: { 'Content-Type': 'application/json', 'X-Webhook-Secret': WEBHOOK_SECRET },
      body: JSON.stringify(buildWebhookBody({ message: 'Hello over TLS' })),
    });

    expect(res.status).toBe(202);
    const { id } = JSON.parse(res.body);
    expect((await ingest.queue.getJob(id))?.data).toMatchObject({ text: 'Hello over TLS' });
  });

  test.each([
    ['GET', '/metrics'],
    ['GET', '/readyz'],
    ['GET', '/healthz'],
  ])('when %s %s is requested, then caddy answers a 404 JSON error without passing it on', async (method, route) => {
    const res = await httpsRequest(port, rootCa, { method, path: route });

    expect(res.status).toBe(404);
    expect(res.type).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'only the webhook, agent and erasure routes are served here' } });
  });

  test('when the agent API is called through caddy, then the ingest answers it (here 401: no token)', async () => {
    const res = await httpsRequest(port, rootCa, { method: 'GET', path: '/agent/conversations' });

    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error.code).toBe('UNAUTHORIZED');
  });
});
