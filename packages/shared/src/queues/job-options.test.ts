import { AppError, UpstreamError } from '../errors/app-error';
import { BACKOFF_TYPE, computeBackoff, defaultJobOptions } from './job-options';

const lowest = () => 0;
const highest = () => 0.999_999;
const middle = () => 0.5;

describe('computeBackoff', () => {
  test('when attempts accumulate, then the delay doubles each time', () => {
    // Arrange
    const attempts = [1, 2, 3, 4, 5];

    // Act
    const delays = attempts.map((n) => computeBackoff(n, undefined, highest));

    // Assert
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  test.each([1, 2, 5, 8])('when the attempt is %i, then the delay stays within [exp/2, exp]', (attemptsMade) => {
    // Arrange
    const exp = 1_000 * 2 ** (attemptsMade - 1);

    // Act
    const low = computeBackoff(attemptsMade, undefined, lowest);
    const mid = computeBackoff(attemptsMade, undefined, middle);
    const high = computeBackoff(attemptsMade, undefined, highest);

    // Assert
    expect(low).toBe(exp / 2);
    expect(mid).toBe(Math.round((exp * 3) / 4));
    expect(high).toBeLessThanOrEqual(exp);
    expect(high).toBeGreaterThan(mid);
  });

  test('when the random source is real, then every delay stays within [exp/2, exp]', () => {
    // Arrange
    const exp = 8_000;

    // Act
    const delays = Array.from({ length: 200 }, () => computeBackoff(4));

    // Assert
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(exp / 2);
      expect(d).toBeLessThanOrEqual(exp);
    }
  });

  test.each([10, 20, 100, 5_000])('when the attempt is %i, then the delay is capped at 5 minutes', (attemptsMade) => {
    // Arrange
    const fiveMinutes = 5 * 60_000;

    // Act
    const high = computeBackoff(attemptsMade, undefined, highest);
    const low = computeBackoff(attemptsMade, undefined, lowest);

    // Assert
    expect(high).toBeLessThanOrEqual(fiveMinutes);
    expect(high).toBeGreaterThan(fiveMinutes - 1);
    expect(low).toBe(fiveMinutes / 2);
  });

  test('when the error asks for a longer wait than the backoff, then that wait is the floor', () => {
    // Arrange
    const err = new UpstreamError('braze', 'UPSTREAM_RATE_LIMITED', 'slow down', { retryable: true, status: 429, retryAfterMs: 42_000 });

    // Act
    const delay = computeBackoff(1, err, highest);

    // Assert
    expect(delay).toBe(42_000);
  });

  test('when the error asks for a shorter wait than the backoff, then the backoff wins', () => {
    // Arrange
    const err = new AppError('X', 'x', { retryable: true, retryAfterMs: 100 });

    // Act
    const delay = computeBackoff(4, err, lowest);

    // Assert
    expect(delay).toBe(4_000);
  });

  test('when the error asks for more than an hour, then the wait is capped at one hour', () => {
    // Arrange
    const err = new AppError('X', 'x', { retryable: true, retryAfterMs: 6 * 3_600_000 });

    // Act
    const delay = computeBackoff(1, err, lowest);

    // Assert
    expect(delay).toBe(3_600_000);
  });

  test('when a plain Error carries a retryAfterMs-like field, then it is ignored', () => {
    // Arrange
    const err = Object.assign(new Error('x'), { retryAfterMs: 600_000 });

    // Act
    const delay = computeBackoff(1, err, lowest);

    // Assert
    expect(delay).toBe(500);
  });
});

describe('defaultJobOptions', () => {
  test('when built from a retention, then failed jobs are kept by age and completed ones trimmed by count and age', () => {
    // Arrange
    const retention = { attempts: 8, keepCompleted: 1_000, keepCompletedSeconds: 72 * 3_600, keepFailedSeconds: 7 * 86_400 };

    // Act
    const options = defaultJobOptions(retention);

    // Assert
    expect(options).toEqual({
      attempts: 8,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: { count: 1_000, age: 72 * 3_600 },
      removeOnFail: { age: 7 * 86_400 },
    });
  });

  test('when built, then failed jobs are never removed at once', () => {
    // Arrange
    const retention = { attempts: 3, keepCompleted: 0, keepCompletedSeconds: 3_600, keepFailedSeconds: 3_600 };

    // Act
    const options = defaultJobOptions(retention);

    // Assert
    expect(options.removeOnFail).not.toBe(true);
    expect(options.removeOnFail).not.toHaveProperty('count', 0);
    expect(options.removeOnFail).toEqual({ age: 3_600 });
  });
});
