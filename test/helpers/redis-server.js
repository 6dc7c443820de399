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

/** A throwaway CA and a server certificate for localhost/127.0.0.1, made with openssl. */
function makeTlsFiles(dir) {
  const run = (args) => {
    const r = spawnSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed`);
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=bridge-test-ca']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'redis.key', '-out', 'redis.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'redis.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'redis.crt', '-days', '1', '-extfile', 'san.ext']);
  return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'redis.crt'), key: path.join(dir, 'redis.key') };
}

/**
 * Starts redis-server. Options: port (default: a free one), dir (default: a new temp dir, removed
 * by stop(); a dir passed in is the caller's to remove), appendonly (default false), appendfsync,
 * password, tls (serve TLS only; the CA file is returned).
 */
async function startRedisServer(options = {}) {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-redis-'));
  const removeDir = () => { if (!options.dir) fs.rmSync(dir, { recursive: true, force: true }); };
  const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no',
    '--maxmemory-policy', 'noeviction', '--appendonly', options.appendonly ? 'yes' : 'no'];
  let tls;
  if (options.tls) {
    tls = makeTlsFiles(dir);
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no');
  } else {
    args.push('--port', String(port));
  }
  if (options.password) args.push('--requirepass', options.password);
  if (options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'));
  if (options.appendfsync) args.push('--appendfsync', options.appendfsync);
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitForPort(port);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    removeDir();
    throw err;
  }
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    url: options.tls ? `rediss://${auth}localhost:${port}` : `redis://${auth}127.0.0.1:${port}`,
    caFile: tls?.ca,
    port,
    dir,
    pid: child.pid,
    child,
    /** Stops it: SIGTERM (clean) by default, SIGKILL to simulate a crash. */
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      removeDir();
    },
  };
}

/** A Redis Cluster of three masters on free ports (redis-cli --cluster create), slots all assigned. */
async function startRedisCluster() {
  const nodes = [];
  for (let i = 0; i < 3; i++) nodes.push(await startRedisServer({ cluster: true }));
  const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  if (created.status !== 0) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  }
  for (let i = 0; i < 100; i++) {
    const info = spawnSync('redis-cli', ['-p', String(nodes[0].port), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
    if (/cluster_state:ok/.test(info)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: nodes[0].url, nodes, stop: (signal) => Promise.all(nodes.map((n) => n.stop(signal))) };
}

module.exports = { startRedisServer, startRedisCluster, hasRedisServer, freePort };
