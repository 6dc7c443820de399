import type { IncomingHttpHeaders } from 'node:http';
import { createSecretCompare } from '@bridge/shared';

/**
 * Accepts `Authorization: Bearer <secret>` or `X-Webhook-Secret: <secret>` with any of the
 * secrets (several during a rotation), compared in constant time.
 */
export function createSecretCheck(secrets: readonly string[]) {
  const matches = createSecretCompare(secrets);
  return (headers: IncomingHttpHeaders): boolean => {
    const auth = headers.authorization;
    const bearer = auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : undefined;
    const header = headers['x-webhook-secret'];
    const custom = Array.isArray(header) ? header[0] : header?.trim();
    // which header was sent is no secret; the comparison of each one is constant-time
    return matches(custom) || matches(bearer);
  };
}
