import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface ServiceProcess {
  name: string;
  port: number;
  /** JSON log lines printed so far */
  logs: Array<Record<string, any>>;
  output: () => string;
  get: (route: string) => Promise<Response>;
  /** sends the signal and resolves with the exit code (or signal name) */
  stop: (signal?: NodeJS.Signals) => Promise<number | string>;
}

/**
 * Runs a built service as its own process (`node services/<name>/dist/main.js`) and, as an
 * orchestrator does before it sends traffic, waits until it is ready (/readyz; the dashboard has
 * only /healthz). Up but not ready (Redis not yet connected), the ingest rightly answers 503.
 */
export async function startService(name: 'ingest' | 'worker' | 'dashboard', port: number, env: Record<string, string>): Promise<ServiceProcess> {
  const portVar = { ingest: 'INGEST_PORT', worker: 'WORKER_PORT', dashboard: 'DASHBOARD_PORT' }[name];
  const child = spawn(process.execPath, [path.join(ROOT, 'services', name, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env, [portVar]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let partial = '';
  const logs: Array<Record<string, any>> = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try { logs.push(JSON.parse(line)); } catch { /* not JSON */ }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  let closed = false; // exited, and its output read to the end
  child.once('close', () => { closed = true; });
  const get = (route: string) => fetch(`http://127.0.0.1:${port}${route}`);
  const probe = name === 'dashboard' ? '/healthz' : '/readyz';
  try {
    await eventually(async () => {
      if (closed) throw new Error(`${name} exited at start-up`);
      return get(probe).then((r) => r.ok, () => false);
    }, 15_000, `${name} to answer ${probe} with 200`);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${text}`);
  }
  return {
    name, port, logs, get,
    output: () => text,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls an async condition (for states that have no event to await, such as another process's output). */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
