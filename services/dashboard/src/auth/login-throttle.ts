import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '@bridge/shared';

export interface LoginLimits {
  /** failed logins from one address (IPv6: one /64) before it is blocked */
  failuresPerAddress: number;
  /** failed logins for one user name, from anywhere, before it is blocked */
  failuresPerUser: number;
  /** how long failures are counted, and how long a block lasts */
  blockSeconds: number;
}

export interface LoginThrottle {
  /** milliseconds until this address and user may try again; 0 when they may now */
  retryAfterMs(address: string | undefined, name: string): Promise<number>;
  /** counts a failed login; the milliseconds of the block it started, or 0 */
  failed(address: string | undefined, name: string): Promise<number>;
  /** a good password: the user's failures are forgiven (the address's are not) */
  succeeded(name: string): Promise<void>;
}

/** An IPv4 client as itself (also when it shows up IPv4-mapped); an IPv6 client by its /64, which one host usually holds whole. */
export function addressKey(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

/** Names as they are, when they could be account names; anything else (any length an attacker likes) by a digest. */
export function userKey(name: string): string {
  return /^[A-Za-z0-9._@-]{1,64}$/.test(name) ? name : `#${createHash('sha256').update(name).digest('base64url').slice(0, 22)}`;
}

/**
 * Failed dashboard logins counted in Redis, per address and per user name, shared by every
 * dashboard process. Keys: `<REDIS_PREFIX>:login-failures:address:<address>` and
 * `<REDIS_PREFIX>:login-failures:user:<name>`; each operation touches one key, so a Redis Cluster
 * with a {hash tag} prefix serves them like the queues. While Redis is away the counting goes on
 * in this process's memory instead of letting guesses through.
 */
export function createLoginThrottle(redis: RedisClient, prefix: string, limits: LoginLimits): LoginThrottle {
  const limiter = (kind: string, points: number) => {
    const keyPrefix = `${prefix}:login-failures:${kind}`;
    const duration = limits.blockSeconds;
    return {
      points,
      rl: new RateLimiterRedis({
        storeClient: redis,
        keyPrefix,
        points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
      }),
    };
  };
  const byAddress = limiter('address', limits.failuresPerAddress);
  const byUser = limiter('user', limits.failuresPerUser);
  const keysOf = (address: string | undefined, name: string) => [[byAddress, addressKey(address)], [byUser, userKey(name)]] as const;

  return {
    async retryAfterMs(address, name) {
      const states = await Promise.all(keysOf(address, name).map(async ([l, key]) => ({ l, res: await l.rl.get(key) })));
      return Math.max(0, ...states.map(({ l, res }) => (res && res.consumedPoints >= l.points ? res.msBeforeNext : 0)));
    },
    async failed(address, name) {
      let blockedMs = 0;
      for (const [l, key] of keysOf(address, name)) {
        // consume() rejects with the counter's state once it is past the limit
        const res = await l.rl.consume(key).catch((e: unknown) => {
          if (e instanceof RateLimiterRes) return e;
          throw e;
        });
        if (res.consumedPoints >= l.points) {
          await l.rl.block(key, limits.blockSeconds);
          blockedMs = limits.blockSeconds * 1000;
        }
      }
      return blockedMs;
    },
    async succeeded(name) {
      await byUser.rl.delete(userKey(name));
    },
  };
}
