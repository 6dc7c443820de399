import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Dashboard passwords are stored as `scrypt$N$r$p$salt$hash` (salt and hash base64url), so the
 * cost travels with each hash and can be raised later without breaking the ones already made.
 * The default is one of OWASP's scrypt settings with the same strength as N=2^17, r=8, p=1, at
 * 16 MiB per check instead of 128 MiB (a dashboard pod has 256 MiB).
 */
export const DEFAULT_SCRYPT = { N: 2 ** 14, r: 8, p: 5 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** refuse hashes that would make every login check cost more than this */
const MAX_MEMORY = 256 * 1024 * 1024;

export interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const scryptAsync = (password: string, salt: Buffer, keyLength: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));

const memoryFor = (N: number, r: number) => 128 * N * r;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Reads `scrypt$N$r$p$salt$hash`; undefined when it is not one (or asks for absurd costs). */
export function parsePasswordHash(text: string): ScryptHash | undefined {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((v) => (/^\d{1,9}$/.test(v!) ? Number(v) : NaN)) as [number, number, number];
  const [salt, hash] = [parts[4]!, parts[5]!];
  const powerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || !(r >= 1 && r <= 32) || !(p >= 1 && p <= 16) || memoryFor(N, r) > MAX_MEMORY) return undefined;
  if (!BASE64URL.test(salt) || !BASE64URL.test(hash)) return undefined;
  const decoded = { salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
  if (decoded.salt.length < 8 || decoded.hash.length < 16) return undefined;
  return { N, r, p, ...decoded };
}

export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(password.normalize('NFC'), salt, KEY_BYTES, { ...cost, maxmem: 2 * memoryFor(cost.N, cost.r) });
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Runs on libuv's thread pool, not the event loop; the final comparison is constant-time. */
export async function verifyPassword(password: string, stored: ScryptHash): Promise<boolean> {
  const { N, r, p, salt, hash } = stored;
  const candidate = await scryptAsync(password.normalize('NFC'), salt, hash.length, { N, r, p, maxmem: 2 * memoryFor(N, r) });
  return timingSafeEqual(candidate, hash);
}
