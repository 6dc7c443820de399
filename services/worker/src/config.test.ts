import { ConfigError } from '@bridge/shared';
import { DEFAULT_SYSTEM_PROMPT, loadConfig } from './config';
import { DEFAULT_SILENT_KEYWORDS } from './conversation/match';

/** The variables the worker cannot start without; every test starts from these. */
const requiredEnv = () => ({
  AI_API_KEY: 'sk-test-0123456789',
  AI_MODEL: 'gpt-4o-mini',
  BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com',
  BRAZE_API_KEY: 'braze-key-0123456789',
  BRAZE_CAMPAIGN_ID: 'campaign-1',
});

describe('worker loadConfig', () => {
  test('when only the required variables are set, then the SPEC §3 defaults apply', () => {
    // Arrange
    const env = requiredEnv();

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.port).toBe(3002);
    expect(config.concurrency).toBe(20);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.logLevel).toBe('info');
    expect(config.ai.baseUrl).toBe('https://api.openai.com/v1');
    expect(config.ai.timeoutMs).toBe(30_000);
    expect(config.ai.systemPrompt).toBe(DEFAULT_SYSTEM_PROMPT);
    expect(config.braze.triggerProperty).toBe('external_system_msg_body');
    expect(config.braze.timeoutMs).toBe(10_000);
  });

  test('when AI_RATE_LIMIT_MAX is unset, then there is no rate limiter', () => {
    // Arrange
    const env = { ...requiredEnv(), AI_RATE_LIMIT_DURATION_MS: '5000' };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.ai.rateLimit).toBeUndefined();
  });

  test('when AI_RATE_LIMIT_MAX is set, then the limiter spaces the calls evenly over the default 1000 ms window', () => {
    // Arrange
    const env = { ...requiredEnv(), AI_RATE_LIMIT_MAX: '50' };

    // Act
    const config = loadConfig(env);

    // Assert: 50 per second as one call per 20 ms, so no sliding second sees more than 50
    expect(config.ai.rateLimit).toEqual({ max: 1, duration: 20 });
  });

  test('when the window does not divide evenly, then the spacing rounds up (never faster than the limit)', () => {
    const config = loadConfig({ ...requiredEnv(), AI_RATE_LIMIT_MAX: '3', AI_RATE_LIMIT_DURATION_MS: '1000' });
    expect(config.ai.rateLimit).toEqual({ max: 1, duration: 334 });
  });

  test('when AI_RATE_LIMIT_MAX is 0, then start-up fails naming it', () => {
    // Arrange
    const env = { ...requiredEnv(), AI_RATE_LIMIT_MAX: '0' };

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(act).toThrow(ConfigError);
    expect(act).toThrow('AI_RATE_LIMIT_MAX must be at least 1');
  });

  test('when a required variable is missing, then the error names it and shows no secret', () => {
    // Arrange
    const { AI_MODEL: _omitted, ...env } = requiredEnv();

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(act).toThrow('AI_MODEL is required');
    expect(act).not.toThrow(/sk-test-0123456789|braze-key-0123456789/);
  });

  test('when the base URLs end with slashes, then the slashes are trimmed', () => {
    // Arrange
    const env = { ...requiredEnv(), AI_BASE_URL: 'http://127.0.0.1:8080/v1//', BRAZE_REST_ENDPOINT: 'https://rest.fra-02.braze.eu/' };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.ai.baseUrl).toBe('http://127.0.0.1:8080/v1');
    expect(config.braze.endpoint).toBe('https://rest.fra-02.braze.eu');
  });

  test('when BRAZE_TRIGGER_PROPERTY has characters Liquid cannot name, then start-up fails naming it', () => {
    // Arrange
    const env = { ...requiredEnv(), BRAZE_TRIGGER_PROPERTY: 'reply body' };

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(act).toThrow('BRAZE_TRIGGER_PROPERTY may contain letters, digits and _ only');
  });

  test('when SILENT_KEYWORDS is unset, then the default list is split and trimmed', () => {
    // Arrange
    const env = requiredEnv();

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.silentKeywords).toEqual(DEFAULT_SILENT_KEYWORDS.split(','));
    expect(config.silentKeywords).toEqual(expect.arrayContaining(['STOP ALL', 'PARAR', 'SAIR', 'DESCADASTRAR', 'BAJA', 'ALTO', 'START', 'UNSTOP', 'VOLTAR']));
  });

  test('when SILENT_KEYWORDS has blanks around entries, then they are trimmed and empties dropped', () => {
    // Arrange
    const env = { ...requiredEnv(), SILENT_KEYWORDS: ' stop , ,arrêt,' };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.silentKeywords).toEqual(['stop', 'arrêt']);
  });

  test('when METRICS_QUEUE_DEPTH is "false", then queue depth metrics are off', () => {
    // Arrange
    const env = { ...requiredEnv(), METRICS_QUEUE_DEPTH: 'false' };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.queueDepthMetrics).toBe(false);
  });

  test('when job retention is unset, then failed jobs are kept 7 days and 8 attempts are made', () => {
    // Arrange
    const env = requiredEnv();

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.jobs).toEqual({ attempts: 8, keepCompleted: 1000, keepFailedSeconds: 7 * 86_400 });
  });

  test.each([
    ['AI_BASE_URL', 'http://ai.internal:8000/v1', 'AI_BASE_URL must use https://'],
    ['BRAZE_REST_ENDPOINT', 'http://rest.iad-01.braze.com', 'BRAZE_REST_ENDPOINT must use https://'],
    ['BRAZE_REST_ENDPOINT', 'https://key:braze-secret-xyzzy@rest.iad-01.braze.com', 'BRAZE_REST_ENDPOINT must not carry a user name or password'],
    ['AI_BASE_URL', 'https://api.openai.com/v1?api-key=xyzzy', 'AI_BASE_URL must not have a query string or fragment'],
    ['AGENT_WEBHOOK_URL', 'http://agents.example.com/events', 'AGENT_WEBHOOK_URL must use https://'],
  ])('when %s is %s, then start-up fails naming it without the value', (key, url, expected) => {
    // Act
    const act = () => loadConfig({ ...requiredEnv(), [key]: url });

    // Assert
    expect(act).toThrow(expected);
    expect(act).not.toThrow(/xyzzy/);
  });

  test('when ALLOW_INSECURE_HTTP is true, then http:// to another host is accepted (stand-ins, an in-cluster AI)', () => {
    const config = loadConfig({ ...requiredEnv(), ALLOW_INSECURE_HTTP: 'true', AI_BASE_URL: 'http://host.containers.internal:4010/v1', BRAZE_REST_ENDPOINT: 'http://host.containers.internal:4011' });
    expect([config.ai.baseUrl, config.braze.endpoint]).toEqual(['http://host.containers.internal:4010/v1', 'http://host.containers.internal:4011']);
  });

  describe('Chatwoot', () => {
    const chatwoot = { CHATWOOT_URL: 'https://chatwoot.example.com/', CHATWOOT_API_TOKEN: 'user-token-xyzzy', CHATWOOT_ACCOUNT_ID: '1', CHATWOOT_INBOX_ID: '3' };

    test('when CHATWOOT_URL and its account, inbox and token are set, then the connector is on, without marking failures unless asked', () => {
      expect(loadConfig({ ...requiredEnv(), ...chatwoot }).chatwoot).toEqual({
        url: 'https://chatwoot.example.com', token: 'user-token-xyzzy', accountId: 1, inboxId: 3, markFailed: false, timeoutMs: 10_000,
      });
      expect(loadConfig({ ...requiredEnv(), ...chatwoot, CHATWOOT_MARK_FAILED: 'true' }).chatwoot?.markFailed).toBe(true);
      expect(loadConfig(requiredEnv()).chatwoot).toBeUndefined();
    });

    test.each(['CHATWOOT_API_TOKEN', 'CHATWOOT_ACCOUNT_ID', 'CHATWOOT_INBOX_ID'])('when CHATWOOT_URL is set without %s, then start-up fails naming it', (name) => {
      const { [name as keyof typeof chatwoot]: _omit, ...rest } = chatwoot;
      expect(() => loadConfig({ ...requiredEnv(), ...rest })).toThrow(`${name} is required when CHATWOOT_URL is set`);
    });

    test.each([
      ['CHATWOOT_INBOX_ID', 'three', 'CHATWOOT_INBOX_ID must be a number'],
      ['CHATWOOT_ACCOUNT_ID', '0', 'CHATWOOT_ACCOUNT_ID must be at least 1'],
      ['CHATWOOT_URL', 'http://chatwoot.example.com', 'CHATWOOT_URL must use https://'],
    ])('when %s is %s, then start-up fails naming it without the token', (name, value, expected) => {
      const act = () => loadConfig({ ...requiredEnv(), ...chatwoot, [name]: value });
      expect(act).toThrow(expected);
      expect(act).not.toThrow(/xyzzy/);
    });
  });
});
