import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../helpers/redis-server';
import { eventually } from '../helpers/service-process';
import { brazeOk, echoAi, startStandIn, type StandIn } from '../helpers/stand-in-server';
import { WEBHOOK_SECRET, uniquePrefix, workerEnv } from '../helpers/test-env';

const ROOT = path.resolve(__dirname, '../..');
const SERVICE_LINE = /^(ingest|worker|dashboard) +\| (.*)$/;
const OWN_LINE = /^(start|redis) +\| /;

const isGone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

const isJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** `pnpm start` as a terminal runs it: its own process group, a redis-server of its own (nothing listens at REDIS_URL). */
describe('pnpm start (scripts/start.mjs)', () => {
  let ai: StandIn;
  let braze: StandIn;
  let dataDir: string;
  let start: ChildProcess | undefined;

  beforeEach(async () => {
    ai = await startStandIn(echoAi);
    braze = await startStandIn(brazeOk);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-start-'));
  });
  afterEach(async () => {
    if (start?.pid && !isGone(-start.pid)) process.kill(-start.pid, 'SIGKILL');
    await Promise.all([ai.close(), braze.close()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the terminal sends Ctrl-C (SIGINT to the whole process group), then every process is gone within seconds, Redis stops after the services, start.mjs exits 0 and every line is JSON or a status line', async () => {
    const [ingestPort, workerPort, dashboardPort, redisPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const env = {
      PATH: process.env.PATH ?? '',
      ...workerEnv({ redisUrl, prefix: uniquePrefix(), aiUrl: `${ai.url}/v1`, brazeUrl: braze.url }, {
        LOG_LEVEL: 'info', WEBHOOK_SECRET, DASHBOARD_USERNAME: 'admin', DASHBOARD_PASSWORD: 'test-dashboard-password',
        INGEST_PORT: String(ingestPort), WORKER_PORT: String(workerPort), DASHBOARD_PORT: String(dashboardPort), START_REDIS_DIR: dataDir,
      }),
    };
    start = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    start.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    start.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number | string>((resolve) => start!.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    const withOutput = (waiting: Promise<unknown>) => waiting.catch((err: Error) => { throw new Error(`${err.message}; start.mjs printed:\n${output}`); });
    const ok = (port: number, route: string) => fetch(`http://127.0.0.1:${port}${route}`).then((r) => r.ok, () => false);
    await withOutput(eventually(async () => (await ok(ingestPort, '/readyz')) && (await ok(workerPort, '/readyz')) && ok(dashboardPort, '/healthz'), 20_000, 'the services to be ready'));
    const probe = new Redis(redisUrl);
    const redisPid = Number(/process_id:(\d+)/.exec(await probe.info('server'))![1]);
    probe.disconnect();

    process.kill(-start.pid!, 'SIGINT');

    await withOutput(eventually(() => isGone(-start!.pid!) && isGone(redisPid), 10_000, 'every process to exit'));
    expect(await exited).toBe(0);
    const lines = output.trimEnd().split('\n');
    expect(lines.filter((line) => /^\s+at /.test(line.replace(SERVICE_LINE, '$2')))).toEqual([]);
    expect(lines.filter((line) => !OWN_LINE.test(line) && !(SERVICE_LINE.test(line) && isJson(line.replace(SERVICE_LINE, '$2'))))).toEqual([]);
    const stops = lines.map((line) => /^start +\| (\w+) exited/.exec(line)?.[1]).filter(Boolean);
    expect(stops).toHaveLength(4);
    expect(stops[3]).toBe('redis');
  }, 40_000);
});
