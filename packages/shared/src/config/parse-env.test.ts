import { z } from 'zod';
import { thrownBy } from '../../../../test/helpers/thrown-by';
import { ConfigError } from '../errors/app-error';
import { BaseEnv, QueueEnv, allowInsecureHttpEnv, boolEnv, cidrListEnv, conversationTtlSeconds, httpsUnlessAllowed, intEnv, jobRetentionFrom, outboundUrlEnv, parseEnv, secretListEnv, trustProxyEnv, urlEnv } from './parse-env';

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

describe('secretListEnv', () => {
  const Schema = z.object({ SECRET: secretListEnv(16) });

  test.each([
    ['one secret', 'current-secret-0123', ['current-secret-0123']],
    ['two secrets during a rotation', 'current-secret-0123,next-secret-456789', ['current-secret-0123', 'next-secret-456789']],
    ['blanks around entries and an empty entry', ' current-secret-0123 , ,next-secret-456789,', ['current-secret-0123', 'next-secret-456789']],
  ])('when the variable holds %s, then every entry is kept, trimmed', (_name, raw, expected) => {
    expect(parseEnv(Schema, { SECRET: raw }).SECRET).toEqual(expected);
  });

  test.each([
    ['a single short secret', 'short-secret-x', 'SECRET must be at least 16 characters'],
    ['a list whose second entry is short', 'current-secret-0123,short-one', 'SECRET entry 2 must be at least 16 characters'],
    ['a list with two short entries', 'short-a,current-secret-0123,short-b', 'SECRET entry 1, 3 must be at least 16 characters'],
    ['only commas', ', ,', 'SECRET must hold at least one secret'],
  ])('when the variable holds %s, then the error names the entry and never a value', (_name, raw, expected) => {
    // Act
    const error = thrownBy(() => parseEnv(Schema, { SECRET: raw }), ConfigError);

    // Assert
    expect(error.message).toContain(expected);
    for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) expect(error.message).not.toContain(entry);
  });
});

describe('cidrListEnv', () => {
  const Schema = z.object({ CIDRS: cidrListEnv().optional() });

  test('when the variable lists addresses and ranges, then each is parsed', () => {
    const parsed = parseEnv(Schema, { CIDRS: '203.0.113.0/24, 198.51.100.7,2001:db8::/32' });
    expect(parsed.CIDRS!.map(([a, bits]) => `${a.toString()}/${bits}`)).toEqual(['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/32']);
  });

  test('when the variable is unset, then there is no list', () => {
    expect(parseEnv(Schema, {}).CIDRS).toBeUndefined();
  });

  test.each([
    ['10.0.0.0/8,10.0.0.300', 'CIDRS entry 2 "10.0.0.300" is not an IP address or CIDR range'],
    ['braze.com', 'CIDRS entry 1 "braze.com" is not an IP address or CIDR range'],
    ['10.0.0.0/33', 'CIDRS entry 1 "10.0.0.0/33" is not an IP address or CIDR range'],
    [',', 'CIDRS must hold at least one address or range'],
  ])('when the variable is "%s", then start-up fails naming the variable and the entry', (raw, expected) => {
    expect(thrownBy(() => parseEnv(Schema, { CIDRS: raw }), ConfigError).message).toContain(expected);
  });
});

describe('trustProxyEnv', () => {
  const Schema = z.object({ TRUST_PROXY: trustProxyEnv() });

  test.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['1', 1],
    ['2', 2],
    ['loopback', ['loopback']],
    ['loopback, 10.0.0.0/8,2001:db8::1', ['loopback', '10.0.0.0/8', '2001:db8::1']],
  ])('when TRUST_PROXY is %s, then Express gets %j', (raw, expected) => {
    expect(parseEnv(Schema, raw === undefined ? {} : { TRUST_PROXY: raw }).TRUST_PROXY).toEqual(expected);
  });

  test.each(['yes-please', 'loopback,proxy.internal', '10.0.0.0/40'])('when TRUST_PROXY is "%s", then start-up fails naming the entry', (raw) => {
    expect(thrownBy(() => parseEnv(Schema, { TRUST_PROXY: raw }), ConfigError).message).toMatch(/^Invalid configuration: TRUST_PROXY entry \d+ ".*" is not true, false, a hop count/);
  });
});

describe('outboundUrlEnv and httpsUnlessAllowed', () => {
  const Schema = z
    .object({ API_URL: outboundUrlEnv(), ALLOW_INSECURE_HTTP: allowInsecureHttpEnv() })
    .superRefine(httpsUnlessAllowed(['API_URL']));

  test.each([
    ['an https URL', 'https://api.example.com/v1', {}],
    ['http to 127.0.0.1', 'http://127.0.0.1:4010/v1', {}],
    ['http to another loopback address', 'http://127.8.9.10:4010', {}],
    ['http to [::1]', 'http://[::1]:4010/v1', {}],
    ['http to localhost', 'http://localhost:4010', {}],
    ['http to another host with the opt-in', 'http://host.containers.internal:4010/v1', { ALLOW_INSECURE_HTTP: 'true' }],
  ])('when the URL is %s, then it is accepted as written', (_name, url, extra) => {
    expect(parseEnv(Schema, { API_URL: url, ...extra }).API_URL).toBe(url);
  });

  test.each([
    ['plain http to another host', 'http://api.example.com/v1', {}, 'API_URL must use https:// (http:// only to a loopback host, or anywhere with ALLOW_INSECURE_HTTP=true)'],
    ['http to a private address', 'http://10.0.0.5/v1', { ALLOW_INSECURE_HTTP: 'false' }, 'API_URL must use https://'],
    ['credentials in the URL', 'https://user:hunter2-xyzzy@api.example.com', {}, 'API_URL must not carry a user name or password'],
    ['a query string', 'https://api.example.com/v1?key=hunter2-xyzzy', {}, 'API_URL must not have a query string or fragment'],
    ['a fragment', 'https://api.example.com/v1#x', {}, 'API_URL must not have a query string or fragment'],
    ['another protocol', 'ftp://api.example.com', {}, 'API_URL must be a URL starting with http:// or https://'],
    ['not a URL', 'api.example.com', {}, 'API_URL must be a URL starting with http:// or https://'],
  ])('when the URL has %s, then start-up fails naming the variable without its value', (_name, url, extra, expected) => {
    // Act
    const error = thrownBy(() => parseEnv(Schema, { API_URL: url, ...extra }), ConfigError);

    // Assert
    expect(error.message).toContain(expected);
    expect(error.message).not.toContain('xyzzy');
  });
});

describe('LOG_PII', () => {
  test.each([
    [{}, false],
    [{ LOG_PII: 'true' }, true],
  ])('when the environment is %j, then LOG_PII is %s', (env, expected) => {
    expect(parseEnv(BaseEnv, env).LOG_PII).toBe(expected);
  });
});

describe('CONVERSATION_TTL_HOURS and the job retention it caps', () => {
  test.each([
    [{}, 72 * 3600, 72 * 3600],
    [{ CONVERSATION_TTL_HOURS: '0.5' }, 1800, 1800],
    [{ CONVERSATION_TTL_HOURS: '0.01' }, 36, 36],
    [{ CONVERSATION_TTL_HOURS: '720', JOB_KEEP_FAILED_DAYS: '7' }, 720 * 3600, 7 * 86_400],
    [{ CONVERSATION_TTL_HOURS: '24', JOB_KEEP_FAILED_DAYS: '7' }, 24 * 3600, 24 * 3600],
  ])('when the environment is %j, then personal data lives %s s and failed jobs %s s', (env, ttl, failed) => {
    const parsed = parseEnv(QueueEnv, env);
    expect(conversationTtlSeconds(parsed)).toBe(ttl);
    expect(jobRetentionFrom(parsed)).toMatchObject({ keepCompletedSeconds: ttl, keepFailedSeconds: failed });
  });

  test.each(['0', '-1', 'three days'])('when CONVERSATION_TTL_HOURS is "%s", then start-up fails naming it', (raw) => {
    expect(() => parseEnv(BaseEnv, { CONVERSATION_TTL_HOURS: raw })).toThrow(/CONVERSATION_TTL_HOURS must/);
  });
});
