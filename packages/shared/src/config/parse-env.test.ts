import { z } from 'zod';
import { thrownBy } from '../../../../test/helpers/thrown-by';
import { ConfigError } from '../errors/app-error';
import { BaseEnv, QueueEnv, boolEnv, intEnv, parseEnv, urlEnv } from './parse-env';

describe('parseEnv', () => {
  const Schema = z.object({
    API_KEY: z.string().min(1),
    SECRET: z.string().min(16, 'must be at least 16 characters'),
    PORT: intEnv(3000),
  });

  test('when a required variable is missing, then the error names it as required on one line', () => {
    // Arrange
    const env = { SECRET: 'a-long-enough-secret-value' };

    // Act
    const error = thrownBy(() => parseEnv(Schema, env), ConfigError);

    // Assert
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('API_KEY is required');
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  test('when several variables are wrong, then every one is named in a single line', () => {
    // Arrange
    const env = { SECRET: 'short', PORT: 'abc' };

    // Act
    const error = thrownBy(() => parseEnv(Schema, env), ConfigError);

    // Assert
    expect(error.message).toContain('API_KEY is required');
    expect(error.message).toContain('SECRET must be at least 16 characters');
    expect(error.message).toContain('PORT must be a number');
    expect(error.message.split('\n')).toHaveLength(1);
  });

  test('when a secret has a bad value, then the message never contains that value', () => {
    // Arrange
    const badSecret = 'hunter2-leaky';
    const env = { API_KEY: 'k', SECRET: badSecret };

    // Act
    const error = thrownBy(() => parseEnv(Schema, env), ConfigError);

    // Assert
    expect(error.message).toContain('SECRET');
    expect(error.message).not.toContain(badSecret);
    expect(error.message).not.toContain('hunter2');
  });

  test('when an enum or URL variable has a bad value, then the message names it without the value', () => {
    // Arrange
    const env = { LOG_LEVEL: 'loud-xyzzy', REDIS_URL: 'http://user:pa55word-xyzzy@cache:6379' };

    // Act
    const error = thrownBy(() => parseEnv(BaseEnv, env), ConfigError);

    // Assert
    expect(error.message).toContain('LOG_LEVEL');
    expect(error.message).toContain('REDIS_URL must be a URL starting with redis:// or rediss://');
    expect(error.message).not.toContain('xyzzy');
    expect(error.message).not.toContain('pa55word');
  });

  test('when a variable is an empty or blank string, then it counts as unset and its default applies', () => {
    // Arrange
    const env = { API_KEY: 'k', SECRET: 'a-long-enough-secret-value', PORT: '' };
    const baseEnv = { REDIS_URL: '   ', LOG_LEVEL: '' };

    // Act
    const parsed = parseEnv(Schema, env);
    const base = parseEnv(BaseEnv, baseEnv);

    // Assert
    expect(parsed.PORT).toBe(3000);
    expect(base.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(base.LOG_LEVEL).toBe('info');
  });

  test('when a required variable is an empty string, then it is reported as required', () => {
    // Arrange
    const env = { API_KEY: '', SECRET: 'a-long-enough-secret-value' };

    // Act
    const error = thrownBy(() => parseEnv(Schema, env), ConfigError);

    // Assert
    expect(error.message).toContain('API_KEY is required');
  });

  test('when every variable is valid, then the typed values are returned', () => {
    // Arrange
    const env = { API_KEY: 'k', SECRET: 'a-long-enough-secret-value', PORT: '8080', UNRELATED: 'x' };

    // Act
    const parsed = parseEnv(Schema, env);

    // Assert
    expect(parsed).toEqual({ API_KEY: 'k', SECRET: 'a-long-enough-secret-value', PORT: 8080 });
  });
});

describe('boolEnv', () => {
  const Schema = z.object({ FLAG: boolEnv(true) });

  test.each([
    ['false', false],
    ['true', true],
    ['0', false],
    ['1', true],
    ['no', false],
    ['yes', true],
  ])('when the variable is "%s", then it parses as %s', (raw, expected) => {
    // Arrange
    const env = { FLAG: raw };

    // Act
    const parsed = parseEnv(Schema, env);

    // Assert
    expect(parsed.FLAG).toBe(expected);
  });

  test('when the variable is unset, then the fallback applies', () => {
    // Arrange
    const onByDefault = z.object({ FLAG: boolEnv(true) });
    const offByDefault = z.object({ FLAG: boolEnv(false) });

    // Act
    const on = parseEnv(onByDefault, {});
    const off = parseEnv(offByDefault, { FLAG: '' });

    // Assert
    expect(on.FLAG).toBe(true);
    expect(off.FLAG).toBe(false);
  });

  test('when the variable is not a boolean word, then the error names the variable', () => {
    // Arrange
    const env = { FLAG: 'maybe-qwerty' };

    // Act
    const error = thrownBy(() => parseEnv(Schema, env), ConfigError);

    // Assert
    expect(error.message).toContain('FLAG must be true or false');
    expect(error.message).not.toContain('qwerty');
  });
});

describe('intEnv', () => {
  const Schema = z.object({ N: intEnv(20), ZERO_OK: intEnv(5, 0) });

  test('when the variable is a whole number, then it is coerced to a number', () => {
    // Arrange
    const env = { N: '42', ZERO_OK: '0' };

    // Act
    const parsed = parseEnv(Schema, env);

    // Assert
    expect(parsed).toEqual({ N: 42, ZERO_OK: 0 });
  });

  test('when the variable is unset, then the fallback applies', () => {
    // Arrange
    const env = {};

    // Act
    const parsed = parseEnv(Schema, env);

    // Assert
    expect(parsed).toEqual({ N: 20, ZERO_OK: 5 });
  });

  test.each([
    ['abc', 'N must be a number'],
    ['2.5', 'N must be a whole number'],
    ['0', 'N must be at least 1'],
    ['-3', 'N must be at least 1'],
  ])('when the variable is "%s", then the error says "%s"', (raw, expected) => {
    // Arrange
    const env = { N: raw };

    // Act
    const error = thrownBy(() => parseEnv(Schema, env), ConfigError);

    // Assert
    expect(error.message).toContain(expected);
  });
});

describe('urlEnv', () => {
  const Schema = z.object({ URL: urlEnv(['http:', 'https:']) });

  test('when the URL has an allowed protocol, then it is kept as written', () => {
    // Arrange
    const env = { URL: 'https://rest.iad-01.braze.com' };

    // Act
    const parsed = parseEnv(Schema, env);

    // Assert
    expect(parsed.URL).toBe('https://rest.iad-01.braze.com');
  });

  test.each(['ftp://example.com', 'not a url', 'rest.iad-01.braze.com'])(
    'when the URL is "%s", then the error names the allowed protocols',
    (raw) => {
      // Arrange
      const env = { URL: raw };

      // Act
      const error = thrownBy(() => parseEnv(Schema, env), ConfigError);

      // Assert
      expect(error.message).toContain('URL must be a URL starting with http:// or https://');
    },
  );
});

describe('REDIS_CLUSTER', () => {
  test('when cluster mode is on and the prefix is not a hash tag, then start-up names REDIS_PREFIX', () => {
    expect(() => parseEnv(QueueEnv, { REDIS_CLUSTER: 'true', REDIS_PREFIX: 'bridge' })).toThrow(/REDIS_PREFIX must be a hash tag/);
  });

  test('when cluster mode is on with a {hash tag} prefix, then it is accepted', () => {
    expect(parseEnv(QueueEnv, { REDIS_CLUSTER: 'true', REDIS_PREFIX: '{bridge}' })).toMatchObject({ REDIS_CLUSTER: true, REDIS_PREFIX: '{bridge}' });
  });
});
