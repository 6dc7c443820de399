import { aiPauseFromHeaders, parseResetDuration } from './ai.client';
import { readBrazeRateLimit } from './braze.client';

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
