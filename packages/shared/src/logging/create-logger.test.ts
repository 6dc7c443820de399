import { captureLogger } from '../../../../test/helpers/capture-logger';
import { redactFormat } from './create-logger';

// captureLogger builds the services' format (errors, the real redactFormat, json) and keeps each JSON line;
// the level is silly so every line reaches the transport.

const REDACTED = '[redacted]';

describe('redactFormat', () => {
  test.each(['debug', 'info', 'warn', 'error'] as const)(
    'when secrets are logged at %s, then every secret key is redacted, top-level and nested',
    (level) => {
      // Arrange
      const { log: logger, lines } = captureLogger('silly');

      // Act
      logger[level]('calling upstream', {
        authorization: 'Bearer top-secret-1',
        'x-webhook-secret': 'top-secret-2',
        apiKey: 'top-secret-3',
        password: 'top-secret-4',
        request: {
          headers: { Authorization: 'Bearer nested-secret-5', 'X-Webhook-Secret': 'nested-secret-6' },
          auth: { password: 'nested-secret-7', api_key: 'nested-secret-8' },
          attempts: [{ token: 'nested-secret-9' }],
        },
        BRAZE_API_KEY: 'nested-secret-10',
        status: 502,
      });

      // Assert
      expect(lines).toHaveLength(1);
      const line = lines[0]!;
      const serialized = JSON.stringify(line);
      expect(serialized).not.toMatch(/secret-\d/);
      expect(line).toMatchObject({
        level,
        message: 'calling upstream',
        authorization: REDACTED,
        'x-webhook-secret': REDACTED,
        apiKey: REDACTED,
        password: REDACTED,
        BRAZE_API_KEY: REDACTED,
        status: 502,
        request: {
          headers: { Authorization: REDACTED, 'X-Webhook-Secret': REDACTED },
          auth: { password: REDACTED, api_key: REDACTED },
          attempts: [{ token: REDACTED }],
        },
      });
    },
  );

  test('when a secret sits far down a nested object, then it is still redacted', () => {
    // Arrange
    const { log: logger, lines } = captureLogger('silly');
    let deep: Record<string, unknown> = { authorization: 'Bearer deep-secret-xyz' };
    for (let i = 0; i < 10; i++) deep = { inner: deep };

    // Act
    logger.info('deep', { ctx: deep });

    // Assert
    expect(JSON.stringify(lines[0])).not.toContain('deep-secret-xyz');
  });

  const PERSONAL_DATA = {
    phone_number: '+15551234567',
    text: 'my card number is 4111',
    reply: 'here is your answer',
    profile_name: 'Ada Lovelace',
    job: { message: 'nested customer text', id: 'job-1' },
    correlationId: 'c-1',
  };

  test.each(['silly', 'debug', 'info', 'warn', 'error'] as const)(
    'when personal data is logged at %s without LOG_PII, then it is redacted, top-level and nested in meta objects',
    (level) => {
      // Arrange
      const { log: logger, lines } = captureLogger('silly');

      // Act
      logger[level]('inbound message', PERSONAL_DATA);

      // Assert
      const line = lines[0]!;
      expect(line).toMatchObject({
        message: 'inbound message',
        phone_number: REDACTED,
        text: REDACTED,
        reply: REDACTED,
        profile_name: REDACTED,
        job: { message: REDACTED, id: 'job-1' },
        correlationId: 'c-1',
      });
      const serialized = JSON.stringify(line);
      for (const pii of ['+15551234567', '4111', 'here is your answer', 'Ada Lovelace', 'nested customer text']) {
        expect(serialized).not.toContain(pii);
      }
    },
  );

  test.each(['debug', 'info', 'error'] as const)('when LOG_PII is on and personal data is logged at %s, then it is kept while secrets are still redacted', (level) => {
    // Arrange
    const { log: logger, lines } = captureLogger('silly', { logPii: true });

    // Act
    logger[level]('inbound message', { ...PERSONAL_DATA, headers: { authorization: 'Bearer still-secret' } });

    // Assert
    expect(lines[0]).toMatchObject({ level, ...PERSONAL_DATA, headers: { authorization: REDACTED } });
  });

  test('when the log message itself is the line text, then it is left as written', () => {
    // Arrange
    const { log: logger, lines } = captureLogger('silly');

    // Act
    logger.info('job completed', { jobId: '42' });

    // Assert
    expect(lines[0]).toMatchObject({ level: 'info', message: 'job completed', jobId: '42' });
  });

  test('when an error object is logged in meta, then only its name, message, code and stack are kept', () => {
    // Arrange
    const { log: logger, lines } = captureLogger('silly');
    const err = Object.assign(new Error('boom'), {
      code: 'ECONNRESET',
      config: { headers: { Authorization: 'Bearer err-secret' } },
    });

    // Act
    logger.error('upstream failed', { err });

    // Assert
    const logged = lines[0]!.err as Record<string, unknown>;
    expect(logged).toMatchObject({ name: 'Error', message: 'boom', code: 'ECONNRESET' });
    expect(logged.config).toBeUndefined();
    expect(JSON.stringify(lines[0])).not.toContain('err-secret');
  });

  test('when the format transforms an info object directly, then the caller meta object is not mutated', () => {
    // Arrange
    const meta = { headers: { authorization: 'Bearer s' } };
    const info = { level: 'info', message: 'm', ctx: meta };

    // Act
    const out = redactFormat().transform(info) as Record<string, unknown>;

    // Assert
    expect(out.ctx).toEqual({ headers: { authorization: REDACTED } });
    expect(meta.headers.authorization).toBe('Bearer s');
  });
});
