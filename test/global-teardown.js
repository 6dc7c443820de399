module.exports = async function globalTeardown() {
  if (globalThis.__bridgeRedis) await globalThis.__bridgeRedis.stop();
  if (globalThis.__bridgeRedisContainer) await globalThis.__bridgeRedisContainer.stop();
};
