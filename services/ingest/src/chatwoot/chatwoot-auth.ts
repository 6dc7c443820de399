import { createHmac } from 'node:crypto';
import { createSecretCompare } from '@bridge/shared';

/** Chatwoot's signatures are refused when their timestamp is further than this from our clock, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export interface ChatwootAuthConfig {
  /** CHATWOOT_WEBHOOK_SECRET: the API inbox's secret(s); a signature made with any one is accepted */
  secrets?: readonly string[];
  /** CHATWOOT_WEBHOOK_TOKEN: accepted as the last path segment, for Chatwoot releases that do not sign */
  tokens?: readonly string[];
  clock?: () => number;
}

export interface ChatwootRequest {
  signature?: string;
  timestamp?: string;
  pathToken?: string;
  raw: Buffer;
}

export type AuthResult = { ok: true; via: 'signature' | 'token' } | { ok: false; code: string; message: string };

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, as Chatwoot signs webhooks (4.11.2 and later). */
export function chatwootSignature(secret: string, timestamp: string, raw: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest('hex')}`;
}

/**
 * Checks a Chatwoot webhook: a valid X-Chatwoot-Signature over the raw bytes with a fresh
 * X-Chatwoot-Timestamp, or the webhook token in the path. Every comparison is constant-time and
 * made against every configured secret, so neither the time nor the answer says which one matched.
 */
export function createChatwootAuth({ secrets = [], tokens = [], clock = Date.now }: ChatwootAuthConfig) {
  if (secrets.length === 0 && tokens.length === 0) throw new Error('createChatwootAuth needs a secret or a token');
  const tokenMatches = tokens.length ? createSecretCompare(tokens) : () => false;

  return (req: ChatwootRequest): AuthResult => {
    if (req.pathToken !== undefined) {
      if (tokenMatches(req.pathToken)) return { ok: true, via: 'token' };
      return { ok: false, code: 'UNAUTHORIZED', message: tokens.length ? 'Wrong webhook token in the path (CHATWOOT_WEBHOOK_TOKEN)' : 'No CHATWOOT_WEBHOOK_TOKEN is set: signed webhooks go to /webhooks/chatwoot' };
    }
    if (secrets.length === 0) {
      return { ok: false, code: 'UNAUTHORIZED', message: 'No CHATWOOT_WEBHOOK_SECRET is set: webhooks go to /webhooks/chatwoot/<CHATWOOT_WEBHOOK_TOKEN>' };
    }
    if (!req.signature || !req.timestamp) {
      return { ok: false, code: 'UNAUTHORIZED', message: 'Missing X-Chatwoot-Signature or X-Chatwoot-Timestamp (Chatwoot signs API-inbox webhooks from 4.13; older releases need CHATWOOT_WEBHOOK_TOKEN in the path)' };
    }
    const expected = secrets.map((s) => chatwootSignature(s, req.timestamp!, req.raw));
    if (!createSecretCompare(expected)(req.signature.trim().toLowerCase())) {
      return { ok: false, code: 'INVALID_SIGNATURE', message: 'X-Chatwoot-Signature does not match the body with CHATWOOT_WEBHOOK_SECRET (is it the inbox\'s current secret?)' };
    }
    const seconds = /^\d{1,12}$/.test(req.timestamp) ? Number(req.timestamp) : Number.NaN;
    if (!(Math.abs(clock() / 1000 - seconds) <= SIGNATURE_TOLERANCE_SECONDS)) {
      return { ok: false, code: 'STALE_TIMESTAMP', message: `X-Chatwoot-Timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS / 60} minutes from this server's clock` };
    }
    return { ok: true, via: 'signature' };
  };
}
