import { createHash } from 'node:crypto';
import type { RedisClient } from './create-redis';

/**
 * A Lua script run by its SHA (EVALSHA), loaded on first use or after a Redis restart
 * (NOSCRIPT). One round trip, and the script text is not resent with every call.
 */
export function luaScript(source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async function run(redis: RedisClient, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
