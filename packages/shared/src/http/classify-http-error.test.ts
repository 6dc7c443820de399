import { AxiosError, AxiosHeaders, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { UpstreamError } from '../errors/app-error';
import { classifyHttpError } from './classify-http-error';

const config = { headers: new AxiosHeaders({ Authorization: 'Bearer sk-never-in-messages' }) } as InternalAxiosRequestConfig;

/** An AxiosError as axios' http adapter builds it for an answered request (Node lowercases header names). */
function answered(status: number, data: unknown = {}, headers: Record<string, string> = {}): AxiosError {
  const response = { status, statusText: '', data, headers: new AxiosHeaders(headers), config } as AxiosResponse;
  return new AxiosError(`Request failed with status code ${status}`, AxiosError.ERR_BAD_RESPONSE, config, {}, response);
}

/** An AxiosError for a request that never got an answer. */
function unanswered(code: string): AxiosError {
  return new AxiosError(`network trouble ${code}`, code, config, {});
}

describe('classifyHttpError', () => {
  test.each([
    ['ECONNABORTED', 'UPSTREAM_TIMEOUT'],
    ['ETIMEDOUT', 'UPSTREAM_TIMEOUT'],
    ['ECONNREFUSED', 'UPSTREAM_UNREACHABLE'],
    ['ECONNRESET', 'UPSTREAM_UNREACHABLE'],
    ['ENOTFOUND', 'UPSTREAM_UNREACHABLE'],
  ])('when the request fails without a response (%s), then it is retryable with code %s', (networkCode, expectedCode) => {
    // Arrange
    const err = unanswered(networkCode);

    // Act
    const result = classifyHttpError(err, 'ai');

    // Assert
    expect(result).toBeInstanceOf(UpstreamError);
    expect(result).toMatchObject({ upstream: 'ai', code: expectedCode, retryable: true, status: undefined });
    expect(result.message).toContain(networkCode);
    expect(result.cause).toBe(err);
  });

  test.each([408, 409, 429, 500, 502, 503, 504])('when the upstream answers %i, then the error is retryable', (status) => {
    // Arrange
    const err = answered(status);

    // Act
    const result = classifyHttpError(err, 'braze');

    // Assert
    expect(result).toMatchObject({ upstream: 'braze', retryable: true, status, httpStatus: undefined });
    expect(result.code).toBe(status === 429 ? 'UPSTREAM_RATE_LIMITED' : 'UPSTREAM_UNAVAILABLE');
    expect(result.message).toContain(`HTTP ${status}`);
  });

  test.each([400, 401, 403, 404, 422])('when the upstream answers %i, then the error is permanent', (status) => {
    // Arrange
    const err = answered(status);

    // Act
    const result = classifyHttpError(err, 'braze');

    // Assert
    expect(result).toMatchObject({ code: 'UPSTREAM_REJECTED', retryable: false, status });
  });

  test('when a 429 carries Retry-After in seconds, then the wait is taken from it', () => {
    // Arrange
    const err = answered(429, {}, { 'retry-after': '7' });

    // Act
    const result = classifyHttpError(err, 'ai');

    // Assert
    expect(result.retryAfterMs).toBe(7_000);
  });

  test('when a 429 carries Retry-After as an HTTP date, then the wait is the time until that date', () => {
    // Arrange
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    const err = answered(429, {}, { 'retry-after': inAMinute });

    // Act
    const result = classifyHttpError(err, 'ai');

    // Assert
    // toUTCString() drops milliseconds, and the clock moves on while the test runs
    expect(result.retryAfterMs).toBeGreaterThan(57_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  test('when Braze says the rate limit pool is empty, then the wait runs until X-RateLimit-Reset', () => {
    // Arrange
    const resetEpochSeconds = Math.ceil(Date.now() / 1000) + 30;
    const err = answered(429, { message: 'Rate limit exceeded' }, {
      'x-ratelimit-limit': '250000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(resetEpochSeconds),
    });

    // Act
    const result = classifyHttpError(err, 'braze');

    // Assert
    expect(result.retryAfterMs).toBeGreaterThan(28_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(31_000);
  });

  test('when a Braze error body has a message, then the error message includes it', () => {
    // Arrange
    const err = answered(400, { message: 'Invalid campaign_id' });

    // Act
    const result = classifyHttpError(err, 'braze');

    // Assert
    expect(result.message).toBe('braze answered HTTP 400: Invalid campaign_id');
  });

  test('when an OpenAI error body has error.message, then the error message includes it', () => {
    // Arrange
    const err = answered(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } });

    // Act
    const result = classifyHttpError(err, 'ai');

    // Assert
    expect(result.message).toBe('ai answered HTTP 401: Incorrect API key provided');
  });

  test('when the error body is very long, then only a short excerpt is kept', () => {
    // Arrange
    const err = answered(500, 'x'.repeat(5_000));

    // Act
    const result = classifyHttpError(err, 'ai');

    // Assert
    expect(result.message.length).toBeLessThan(300);
  });

  test('when the request carried an Authorization header, then the error message never contains it', () => {
    // Arrange
    const errors = [answered(401, { message: 'nope' }), unanswered('ECONNRESET')];

    // Act
    const messages = errors.map((e) => classifyHttpError(e, 'ai').message);

    // Assert
    for (const message of messages) expect(message).not.toContain('sk-never-in-messages');
  });

  test('when the error is already an UpstreamError, then it is returned unchanged', () => {
    // Arrange
    const err = new UpstreamError('ai', 'AI_EMPTY_REPLY', 'no content', { retryable: false });

    // Act
    const result = classifyHttpError(err, 'ai');

    // Assert
    expect(result).toBe(err);
  });

  test('when the error is not from axios, then it is retryable and keeps the original message', () => {
    // Arrange
    const err = new TypeError('socket hang up');

    // Act
    const result = classifyHttpError(err, 'braze');

    // Assert
    expect(result).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
    expect(result.message).toContain('socket hang up');
  });
});

describe('quota exhaustion', () => {
  test('when the AI answers 429 insufficient_quota, then it is permanent (waiting does not bring credit back)', () => {
    const err = new AxiosError('Request failed', 'ERR_BAD_REQUEST', undefined, undefined, {
      status: 429, statusText: 'Too Many Requests', headers: {}, config: { headers: new AxiosHeaders() },
      data: { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } },
    } as never);
    const classified = classifyHttpError(err, 'ai');
    expect(classified.retryable).toBe(false);
    expect(classified.code).toBe('UPSTREAM_QUOTA_EXCEEDED');
  });
});
