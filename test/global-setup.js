// The Redis of the tests (CONTRIBUTING.md): TEST_REDIS_URL; else redis-server from PATH on a free port; else testcontainers; else one line saying how.
const { startRedisServer, hasRedisServer } = require('./helpers/redis-server');

module.exports = async function globalSetup() {
  if (process.env.TEST_REDIS_URL) return;
  if (hasRedisServer()) {
    const server = await startRedisServer();
    globalThis.__bridgeRedis = server;
    process.env.TEST_REDIS_URL = server.url;
    process.env.TEST_REDIS_SOURCE = 'redis-server';
    return;
  }
  try {
    const { GenericContainer, Wait } = require('testcontainers');
    const container = await new GenericContainer('redis:7')
      .withExposedPorts(6379)
      .withCommand(['redis-server', '--maxmemory-policy', 'noeviction'])
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start();
    globalThis.__bridgeRedisContainer = container;
    process.env.TEST_REDIS_URL = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
    process.env.TEST_REDIS_SOURCE = 'testcontainers';
  } catch (err) {
    throw new Error(`Tests need Redis: set TEST_REDIS_URL, install redis-server (apt-get install redis-server), or run a Docker engine for testcontainers (${err.message})`);
  }
};
