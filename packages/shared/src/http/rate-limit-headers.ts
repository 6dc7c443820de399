/** Response headers as axios gives them (names lowercase). */
export type ResponseHeaders = Record<string, unknown>;

/** A workspace pool as Braze reports it: X-RateLimit-Remaining, and X-RateLimit-Reset in epoch seconds. */
export interface RateLimitPool {
  remaining: number;
  resetAtMs: number;
}

export function readBrazeRateLimit(headers: ResponseHeaders | undefined): RateLimitPool | undefined {
  const remaining = Number(headers?.['x-ratelimit-remaining']);
  const reset = Number(headers?.['x-ratelimit-reset']);
  return Number.isFinite(remaining) && Number.isFinite(reset) && headers?.['x-ratelimit-remaining'] !== undefined
    ? { remaining, resetAtMs: reset * 1000 }
    : undefined;
}

/**
 * How long the server asked us to wait: `Retry-After` (seconds or an HTTP date), else until
 * Braze's pool resets when it is empty.
 */
export function retryAfterMs(headers: ResponseHeaders | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const retryAfter = headers['retry-after'];
  if (typeof retryAfter === 'string' && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const pool = readBrazeRateLimit(headers);
  return pool && pool.remaining <= 0 ? Math.max(0, pool.resetAtMs - now) : undefined;
}

/** OpenAI-style durations: "1s", "6m0s", "20ms", "1h2m3.5s". */
export function parseResetDuration(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  let ms = 0;
  let matched = false;
  for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    matched = true;
    ms += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return matched ? ms : undefined;
}

/**
 * How long to hold the AI queue from OpenAI-style headers (x-ratelimit-remaining-requests /
 * -tokens and their -reset-): when no request is left, or fewer tokens than the floor.
 */
export function aiPauseFromHeaders(headers: ResponseHeaders | undefined, tokenFloor: number): number | undefined {
  if (!headers) return undefined;
  const waits: number[] = [];
  const requests = headers['x-ratelimit-remaining-requests'];
  if (requests !== undefined && Number(requests) <= 0) waits.push(parseResetDuration(headers['x-ratelimit-reset-requests']) ?? 1_000);
  const tokens = headers['x-ratelimit-remaining-tokens'];
  if (tokens !== undefined && Number(tokens) < tokenFloor) waits.push(parseResetDuration(headers['x-ratelimit-reset-tokens']) ?? 1_000);
  return waits.length ? Math.max(...waits) : undefined;
}
