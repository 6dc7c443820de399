import { aiPauseFromHeaders, parseResetDuration, readBrazeRateLimit, retryAfterMs } from './rate-limit-headers';

describe('rate-limit headers', () => {
  test.each([
    ['1s', 1_000], ['6m0s', 360_000], ['20ms', 20], ['1h2m3.5s', 3_723_500], ['2', 2_000], ['', undefined], ['soon', undefined],
  ])('when a reset duration is "%s", then it is %p ms', (value, ms) => {
    expect(parseResetDuration(value)).toBe(ms);
  });

  test('when the AI has requests and tokens left, then nothing is held', () => {
    expect(aiPauseFromHeaders({ 'x-ratelimit-remaining-requests': '10', 'x-ratelimit-remaining-tokens': '50000' }, 1_000)).toBeUndefined();
  });

  test('when no AI request is left, then the queue is held until the requests reset', () => {
    expect(aiPauseFromHeaders({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s', 'x-ratelimit-remaining-tokens': '50000' }, 1_000)).toBe(1_500);
  });

  test('when fewer tokens than the floor are left, then the queue is held until the tokens reset (the longer wait wins)', () => {
    expect(aiPauseFromHeaders({
      'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-remaining-tokens': '200', 'x-ratelimit-reset-tokens': '6s',
    }, 1_000)).toBe(6_000);
  });

  test('when Braze sends its pool headers, then remaining and the reset time are read', () => {
    expect(readBrazeRateLimit({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000000', 'x-ratelimit-limit': '250000' }))
      .toEqual({ remaining: 0, resetAtMs: 1_700_000_000_000 });
    expect(readBrazeRateLimit({})).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T12:00:00.000Z');

  test('when there are no headers, then there is no wait', () => {
    // Arrange
    const headers = undefined;

    // Act
    const wait = retryAfterMs(headers, now);

    // Assert
    expect(wait).toBeUndefined();
  });

  test('when Retry-After is in seconds, then it is converted to milliseconds', () => {
    // Arrange
    const headers = { 'retry-after': '120' };

    // Act
    const wait = retryAfterMs(headers, now);

    // Assert
    expect(wait).toBe(120_000);
  });

  test('when Retry-After is an HTTP date, then the wait is the time until it', () => {
    // Arrange
    const headers = { 'retry-after': 'Wed, 01 Jan 2025 12:00:45 GMT' };

    // Act
    const wait = retryAfterMs(headers, now);

    // Assert
    expect(wait).toBe(45_000);
  });

  test('when Retry-After is a date in the past, then the wait is zero', () => {
    // Arrange
    const headers = { 'retry-after': 'Wed, 01 Jan 2025 11:59:00 GMT' };

    // Act
    const wait = retryAfterMs(headers, now);

    // Assert
    expect(wait).toBe(0);
  });

  test('when X-RateLimit-Remaining is 0, then the wait runs until X-RateLimit-Reset in epoch seconds', () => {
    // Arrange
    const headers = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 90) };

    // Act
    const wait = retryAfterMs(headers, now);

    // Assert
    expect(wait).toBe(90_000);
  });

  test('when X-RateLimit-Remaining is above 0, then X-RateLimit-Reset is ignored', () => {
    // Arrange
    const headers = { 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': String(now / 1000 + 90) };

    // Act
    const wait = retryAfterMs(headers, now);

    // Assert
    expect(wait).toBeUndefined();
  });

  test('when both Retry-After and the Braze headers are present, then Retry-After wins', () => {
    // Arrange
    const headers = { 'retry-after': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 90) };

    // Act
    const wait = retryAfterMs(headers, now);

    // Assert
    expect(wait).toBe(5_000);
  });

  test('when Retry-After is neither a number nor a date, then there is no wait', () => {
    // Arrange
    const headers = { 'retry-after': 'soon-ish' };

    // Act
    const wait = retryAfterMs(headers, now);

    // Assert
    expect(wait).toBeUndefined();
  });
});
