// A throwaway redis-server on a free port in a temp dir. Plain JS: jest's globalSetup loads it untransformed.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function hasRedisServer() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function waitForPort(port, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.end(); resolve(); });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > until) reject(new Error(`redis-server did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * Starts redis-server. Options: port (default: a free one), dir (default: a new temp dir),
 * appendonly (default false), appendfsync.
 */
async function startRedisServer(options = {}) {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no',
    '--maxmemory-policy', 'noeviction', '--appendonly', options.appendonly ? 'yes' : 'no'];
  if (options.appendfsync) args.push('--appendfsync', options.appendfsync);
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  await waitForPort(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: child.pid,
    child,
    /** Stops it: SIGTERM (clean) by default, SIGKILL to simulate a crash. */
    stop(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    },
  };
}

module.exports = { startRedisServer, hasRedisServer, freePort, waitForPort };
