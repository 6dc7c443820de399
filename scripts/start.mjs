#!/usr/bin/env node
// `pnpm start`: ingest, worker and dashboard in one terminal, each line prefixed with its service.
// Reads ./.env when present (variables already set in the shell win). If nothing answers at
// REDIS_URL and redis-server is on PATH, starts one with its data under ./.data (START_REDIS_DIR
// to change) and says so. That redis-server runs in a process group of its own, so a terminal's
// Ctrl-C reaches only the services; it is stopped once they have drained.
// START_REDIS_URL_NAME: the variable the hints about Redis name (default REDIS_URL; the demo sets
// DEMO_REDIS_URL, the variable its users set).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COLORS = { ingest: 36, worker: 35, dashboard: 33, redis: 32 };
const tty = process.stdout.isTTY;
const label = (name) => (tty ? `\x1b[${COLORS[name] ?? 37}m${name.padEnd(9)}\x1b[0m |` : `${name.padEnd(9)} |`);
const say = (text) => process.stdout.write(`${label('start')} ${text}\n`);

/** KEY=VALUE lines; # comments; optional quotes. The shell's own variables take precedence. */
function readEnvFile(file) {
  const out = {};
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

function redisAnswers(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port || 6379), hostname || '127.0.0.1');
    socket.setTimeout(1_000);
    socket.once('connect', () => { socket.end(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

/** The URL without its password, for messages. */
function shown(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.href;
}

const services = [];
let redisServer;
function run(name, command, args, env, { detached = false } = {}) {
  const child = spawn(command, args, { env, detached, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream) => {
    let partial = '';
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) process.stdout.write(`${label(name)} ${line}\n`);
    });
  };
  prefix(child.stdout);
  prefix(child.stderr);
  child.on('exit', (code, signal) => {
    say(`${name} exited (${signal ?? code})`);
    if (!stopping && child !== redisServer) void stop(code || 1);
  });
  return child;
}

const running = (child) => child.exitCode === null && child.signalCode === null;
const exited = (child) => (running(child) ? new Promise((resolve) => child.once('exit', resolve)) : undefined);

let stopping = false;
/** Services first (they drain into Redis), then the redis-server started here. Exits 1 if a service failed to stop cleanly. */
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  const deadline = setTimeout(() => process.exit(1), 50_000);
  for (const child of services) if (running(child)) child.kill('SIGTERM');
  await Promise.all(services.map(exited));
  if (redisServer && running(redisServer)) {
    redisServer.kill('SIGTERM');
    await exited(redisServer);
  }
  clearTimeout(deadline);
  process.exit(services.some((child) => child.exitCode) ? code || 1 : code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
// a crash or the deadline: the redis-server's own group gets no Ctrl-C, so stop it here
process.on('exit', () => { if (redisServer && running(redisServer)) redisServer.kill('SIGTERM'); });

const env = { ...readEnvFile(path.join(root, '.env')), ...process.env };
env.REDIS_URL ??= 'redis://127.0.0.1:6379';
const redisUrlName = env.START_REDIS_URL_NAME || 'REDIS_URL';

if (!(await redisAnswers(env.REDIS_URL))) {
  const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasRedis) {
    say(`nothing answers at ${redisUrlName} (${shown(env.REDIS_URL)}) and redis-server is not on PATH: start Redis or set ${redisUrlName}`);
    process.exit(1);
  }
  const { port } = new URL(env.REDIS_URL);
  const dataDir = path.resolve(root, env.START_REDIS_DIR || '.data');
  mkdirSync(dataDir, { recursive: true });
  const shownDir = dataDir.startsWith(root + path.sep) ? `./${path.relative(root, dataDir)}` : dataDir;
  say(`nothing answers at ${redisUrlName} (${shown(env.REDIS_URL)}): starting redis-server on port ${port || 6379} with its data in ${shownDir} (AOF on)`);
  redisServer = run('redis', 'redis-server', ['--port', String(port || 6379), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'], env, { detached: true });
  for (let i = 0; i < 50 && !(await redisAnswers(env.REDIS_URL)); i++) await new Promise((r) => setTimeout(r, 100));
}

for (const name of stopping ? [] : ['ingest', 'worker', 'dashboard']) {
  services.push(run(name, process.execPath, [path.join(root, 'services', name, 'dist', 'main.js')], env));
}
say(`webhook: http://127.0.0.1:${env.INGEST_PORT ?? 3000}/webhooks/braze/whatsapp   dashboard: http://127.0.0.1:${env.DASHBOARD_PORT ?? 3001}/   Ctrl-C stops everything`);
