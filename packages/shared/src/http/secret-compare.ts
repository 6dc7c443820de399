import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * A constant-time check against a secret: both sides are hashed first, so the time taken does
 * not depend on how much of a guess is right, nor on its length.
 */
export function createSecretCompare(secret: string): (candidate: string | undefined) => boolean {
  const expected = sha256(secret);
  return (candidate) => candidate !== undefined && timingSafeEqual(sha256(candidate), expected);
}
