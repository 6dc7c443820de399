/**
 * Every error we raise says whether retrying can help. Code that decides to retry looks at
 * `retryable`, never at message text.
 */
export interface AppErrorOptions {
  retryable: boolean;
  httpStatus?: number;
  /** A wait the other side asked for (Retry-After, X-RateLimit-Reset). */
  retryAfterMs?: number;
  details?: unknown[];
  cause?: unknown;
}

export class AppError extends Error {
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly details: unknown[] | undefined;

  constructor(
    readonly code: string,
    message: string,
    options: AppErrorOptions,
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

export class ValidationError extends AppError {
  constructor(code: string, message: string, details?: unknown[]) {
    super(code, message, { retryable: false, httpStatus: 400, details });
  }
}

export class AuthError extends AppError {
  constructor(message = 'Missing or wrong webhook secret') {
    super('UNAUTHORIZED', message, { retryable: false, httpStatus: 401 });
  }
}

/** Redis (or another dependency we own) cannot take the work right now. */
export class DependencyUnavailableError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('DEPENDENCY_UNAVAILABLE', message, { retryable: true, httpStatus: 503, retryAfterMs: 5_000, cause });
  }
}

/** The services the bridge calls. */
export type Upstream = 'ai' | 'braze' | 'agents' | 'chatwoot';

/** A call to the AI, Braze or an agent system failed; `retryable` follows the HTTP classification. */
export class UpstreamError extends AppError {
  constructor(
    readonly upstream: Upstream,
    code: string,
    message: string,
    options: AppErrorOptions & { status?: number },
  ) {
    super(code, message, options);
    this.status = options.status;
  }
  readonly status: number | undefined;
}

export class ConfigError extends AppError {
  constructor(message: string) {
    super('INVALID_CONFIG', message, { retryable: false });
  }
}
