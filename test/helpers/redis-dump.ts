import type { Redis } from 'ioredis';

export interface DumpedKey {
  key: string;
  type: string;
  /** the key's whole content as text (values, fields, members, stream entries) */
  content: string;
  /** seconds, -1 without an expiry */
  ttl: number;
}

/** Every key under a prefix with all it holds, whatever its type: for scans of what the bridge left in Redis. */
export async function dumpKeys(redis: Redis, prefix: string): Promise<DumpedKey[]> {
  const out: DumpedKey[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const content: unknown = type === 'string' ? await redis.get(key)
        : type === 'hash' ? await redis.hgetall(key)
          : type === 'list' ? await redis.lrange(key, 0, -1)
            : type === 'set' ? await redis.smembers(key)
              : type === 'zset' ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                : type === 'stream' ? await redis.xrange(key, '-', '+')
                  : null;
      if (type === 'none') continue; // expired or removed while scanning
      out.push({ key, type, content: JSON.stringify(content), ttl: await redis.ttl(key) });
    }
  } while (cursor !== '0');
  return out;
}

/** The keys whose name or content holds any of the needles, with the needles found. */
export function keysHolding(keys: DumpedKey[], needles: string[]): Array<{ key: string; found: string[] }> {
  return keys
    .map((k) => ({ key: k.key, found: needles.filter((n) => k.key.includes(n) || k.content.includes(n) || k.content.includes(JSON.stringify(n).slice(1, -1))) }))
    .filter((k) => k.found.length > 0);
}
