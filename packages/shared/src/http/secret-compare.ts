import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * A constant-time check against one secret or a list of them (several during a rotation: any one
 * matches). Every side is hashed first, so the time taken depends neither on how much of a guess is
 * right nor on its length, and the guess is compared with every entry, with no early exit, so it
 * does not tell which entry matched either.
 */
export function createSecretCompare(secrets: string | readonly string[]): (candidate: string | undefined) => boolean {
  const expected = (typeof secrets === 'string' ? [secrets] : secrets).map(sha256);
  if (expected.length === 0) throw new Error('createSecretCompare needs at least one secret');
  return (candidate) => {
    if (candidate === undefined) return false;
    const guess = sha256(candidate);
    let matched = 0;
    for (const entry of expected) matched |= Number(timingSafeEqual(guess, entry));
    return matched === 1;
  };
}
