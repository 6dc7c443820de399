import axios from 'axios';
import { UpstreamError, type Upstream } from '../errors/app-error';
import { retryAfterMs, type ResponseHeaders } from './rate-limit-headers';

const RETRYABLE_STATUS = new Set([408, 409, 425, 429]);

/**
 * The one place that reads axios internals. Network errors, timeouts, 408, 409, 425, 429 and
 * 5xx can pass; other 4xx are permanent. Never includes request bodies or headers.
 */
export function classifyHttpError(err: unknown, upstream: Upstream): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (axios.isAxiosError(err)) {
    const status = err.response?.status;
    if (status === undefined) {
      const code = err.code ?? 'NETWORK_ERROR';
      const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
      return new UpstreamError(upstream, timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNREACHABLE',
        `${upstream} request failed without a response (${code})`, {
          retryable: true, cause: err,
        });
    }
    const wait = retryAfterMs(err.response?.headers as ResponseHeaders | undefined);
    if (status === 429 && isQuotaExhausted(err.response?.data)) {
      // OpenAI's answer when the account is out of credit: waiting does not help
      return new UpstreamError(upstream, 'UPSTREAM_QUOTA_EXCEEDED', `${upstream} answered HTTP 429: quota exceeded (check the plan and billing)`, { retryable: false, status, cause: err });
    }
    const retryable = status >= 500 || RETRYABLE_STATUS.has(status);
    const reason = describeBody(err.response?.data);
    return new UpstreamError(upstream, status === 429 ? 'UPSTREAM_RATE_LIMITED' : retryable ? 'UPSTREAM_UNAVAILABLE' : 'UPSTREAM_REJECTED',
      `${upstream} answered HTTP ${status}${reason ? `: ${reason}` : ''}`, {
        retryable, status, retryAfterMs: wait, cause: err,
      });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new UpstreamError(upstream, 'UPSTREAM_ERROR', `${upstream} request failed: ${message}`, { retryable: true, cause: err });
}

function isQuotaExhausted(data: unknown): boolean {
  const error = (data as { error?: { code?: unknown; type?: unknown } } | undefined)?.error;
  return typeof error === 'object' && error !== null && (error.code === 'insufficient_quota' || error.type === 'insufficient_quota');
}

/** A short, safe excerpt of an error body (Braze and OpenAI put the reason in `message`). */
function describeBody(data: unknown): string {
  if (data && typeof data === 'object') {
    const d = data as { message?: unknown; error?: { message?: unknown } | unknown };
    const inner = typeof d.error === 'object' && d.error ? (d.error as { message?: unknown }).message : d.error;
    const text = typeof d.message === 'string' ? d.message : typeof inner === 'string' ? inner : undefined;
    if (text) return text.slice(0, 200);
  }
  if (typeof data === 'string') return data.slice(0, 200);
  return '';
}
