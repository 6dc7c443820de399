// Child processes of a benchmark: the built services, the baselines and redis-server.
// Each runs in its own process, so no target shares an event loop with the load generator.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { BENCH_DIR, PREFIX, ROOT, WEBHOOK_SECRET, freePort, poll, startRedisServer } from './env.mjs';

export const LOG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-bench-'));
const live = new Set();
const redisServers = new Set();
let logCounter = 0;
let keepLogs = false;

/** The child process logs stay in LOG_DIR after the run (when a scenario failed, they say why). */
export function keepLogDir() {
  keepLogs = true;
}

/** Kills whatever is still running and removes the temp dirs (on exit, Ctrl-C or a crash of the bench). */
function killAll() {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
  live.clear();
  for (const server of redisServers) {
    try { server.child.kill('SIGKILL'); } catch { /* gone */ }
    fs.rmSync(server.dir, { recursive: true, force: true });
  }
  redisServers.clear();
}
process.once('exit', () => {
  killAll();
  if (!keepLogs) fs.rmSync(LOG_DIR, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => process.exit(130));
}

/** Node script as a child; stdout and stderr go to a log file, not through the bench's event loop. */
function spawnNode(name, script, env) {
  const logFile = path.join(LOG_DIR, `${String(++logCounter).padStart(3, '0')}-${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  fs.closeSync(fd);
  live.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => { live.delete(child); resolve(code ?? signal); }));
  const tail = () => fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  return {
    name, child, pid: child.pid, logFile, exited, tail,
    /** SIGTERM, then SIGKILL after graceMs */
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

async function waitHttp(proc, url, timeoutMs = 20_000) {
  let exited = false;
  proc.exited.then(() => { exited = true; });
  const ok = await poll(async () => exited || (await fetch(url).then((r) => r.ok, () => false)), timeoutMs, 50);
  if (exited || !ok) throw new Error(`${proc.name} did not become ready at ${url}:\n${proc.tail()}`);
}

function waitIpcReady(proc, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${proc.name} did not report ready:\n${proc.tail()}`)), timeoutMs);
    proc.child.on('message', (m) => { if (m === 'ready') { clearTimeout(timer); resolve(); } });
    proc.exited.then(() => { clearTimeout(timer); reject(new Error(`${proc.name} exited at start-up:\n${proc.tail()}`)); });
  });
}

const MINIMAL_INGEST = path.join(BENCH_DIR, 'baselines/ingest-minimal.mjs');
const INGEST_SCRIPTS = {
  ours: path.join(ROOT, 'services/ingest/dist/main.js'),
  minimal: MINIMAL_INGEST,
  baseline: MINIMAL_INGEST,
  bare: path.join(BENCH_DIR, 'baselines/ingest-bare.mjs'),
};

/** kind: ours | minimal (or baseline, the same) | bare. Resolves once it can store webhooks (ours: GET /readyz, Redis answers; baselines: /healthz). */
export async function startIngest(kind, redisUrl, extraEnv = {}) {
  const port = await freePort();
  const proc = spawnNode(`ingest-${kind}`, INGEST_SCRIPTS[kind], {
    REDIS_URL: redisUrl ?? 'redis://127.0.0.1:1',
    REDIS_PREFIX: PREFIX,
    WEBHOOK_SECRET,
    INGEST_PORT: String(port),
    LOG_LEVEL: 'info',
    ...extraEnv,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(proc, `${url}/${kind === 'ours' ? 'readyz' : 'healthz'}`);
  return { ...proc, url, port };
}

/** kind: ours, or anything else for the minimal worker (minimal, baseline). Resolves once the worker is consuming (ours: /readyz; minimal: IPC). */
export async function startWorker(kind, { redisUrl, aiBaseUrl, brazeEndpoint, env = {} }) {
  const port = await freePort();
  const common = {
    REDIS_URL: redisUrl,
    REDIS_PREFIX: PREFIX,
    LOG_LEVEL: 'info',
    AI_BASE_URL: aiBaseUrl,
    AI_API_KEY: 'sk-bench',
    AI_MODEL: 'bench-model',
    BRAZE_REST_ENDPOINT: brazeEndpoint,
    BRAZE_API_KEY: 'braze-bench-key',
    BRAZE_CAMPAIGN_ID: 'bench-campaign',
    WORKER_PORT: String(port),
    ...env,
  };
  if (kind === 'ours') {
    const proc = spawnNode('worker-ours', path.join(ROOT, 'services/worker/dist/main.js'), common);
    await waitHttp(proc, `http://127.0.0.1:${port}/readyz`);
    return proc;
  }
  const proc = spawnNode('worker-minimal', path.join(BENCH_DIR, 'baselines/worker-minimal.mjs'), common);
  await waitIpcReady(proc);
  return proc;
}

/** A fresh redis-server (own port, own temp dir, no persistence) and a client for measurements. */
export async function startRedis() {
  const server = await startRedisServer();
  redisServers.add(server);
  const client = new Redis(server.url, { maxRetriesPerRequest: 3 });
  return {
    url: server.url,
    pid: server.pid,
    client,
    async usedMemory() {
      const info = await client.info('memory');
      return Number(/used_memory:(\d+)/.exec(info)[1]);
    },
    async stop() {
      await client.quit().catch(() => client.disconnect());
      await server.stop();
      redisServers.delete(server);
    },
  };
}

/** Resident set size of a process in bytes: now (VmRSS) and its peak so far (VmHWM). */
export function rssOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/** Samples the RSS of some processes every intervalMs until stopped; returns per-pid peak. */
export function sampleRss(pids, intervalMs = 200) {
  const peaks = new Map(pids.map((pid) => [pid, 0]));
  const timer = setInterval(() => {
    for (const pid of pids) {
      const { rss } = rssOf(pid);
      if (rss > peaks.get(pid)) peaks.set(pid, rss);
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return pids.map((pid) => ({ pid, sampledPeak: peaks.get(pid), hwm: rssOf(pid).peak }));
    },
  };
}

/** CPU seconds (user + system) a process has used so far; NaN once it is gone. */
export function cpuOf(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}
