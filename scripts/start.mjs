#!/usr/bin/env node
// `pnpm start`: ingest, worker and dashboard in one terminal, each line prefixed with its service.
// Reads ./.env when present (variables already set in the shell win). If nothing answers at
// REDIS_URL and redis-server is on PATH, starts one with its data under ./.data and says so.
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

const children = [];
function run(name, command, args, env) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    if (!stopping && name !== 'redis') stop(code || 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  const deadline = setTimeout(() => process.exit(code), 50_000);
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(() => {
    clearTimeout(deadline);
    process.exit(code);
  });
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const env = { ...readEnvFile(path.join(root, '.env')), ...process.env };
env.REDIS_URL ??= 'redis://127.0.0.1:6379';

if (!(await redisAnswers(env.REDIS_URL))) {
  const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasRedis) {
    say(`nothing answers at REDIS_URL (${env.REDIS_URL}) and redis-server is not on PATH: start Redis or set REDIS_URL`);
    process.exit(1);
  }
  const { port } = new URL(env.REDIS_URL);
  const dataDir = path.join(root, '.data');
  mkdirSync(dataDir, { recursive: true });
  say(`nothing answers at ${env.REDIS_URL}: starting redis-server on port ${port || 6379} with its data in ./.data (AOF on)`);
  run('redis', 'redis-server', ['--port', String(port || 6379), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'], env);
  for (let i = 0; i < 50 && !(await redisAnswers(env.REDIS_URL)); i++) await new Promise((r) => setTimeout(r, 100));
}

for (const name of ['ingest', 'worker', 'dashboard']) {
  run(name, process.execPath, [path.join(root, 'services', name, 'dist', 'main.js')], env);
}
say(`webhook: http://127.0.0.1:${env.INGEST_PORT ?? 3000}/webhooks/braze/whatsapp   dashboard: http://127.0.0.1:${env.DASHBOARD_PORT ?? 3001}/   Ctrl-C stops everything`);
