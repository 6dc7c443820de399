import { ConfigError } from '@bridge/shared';
import { loadConfig } from './config';

describe('ingest loadConfig', () => {
  test('when only WEBHOOK_SECRET is set, then the documented defaults apply', () => {
    // Arrange
    const env = { WEBHOOK_SECRET: '0123456789abcdef' };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.port).toBe(3000);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.logLevel).toBe('info');
    expect(config.webhookSecret).toBe('0123456789abcdef');
  });

  test('when WEBHOOK_SECRET is missing, then start-up fails naming it', () => {
    // Arrange
    const env = {};

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(act).toThrow(ConfigError);
    expect(act).toThrow('WEBHOOK_SECRET is required');
  });

  test('when WEBHOOK_SECRET is shorter than 16 characters, then it is rejected without echoing it', () => {
    // Arrange
    const env = { WEBHOOK_SECRET: 'fifteen-chars-x' };

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(env.WEBHOOK_SECRET).toHaveLength(15);
    expect(act).toThrow('WEBHOOK_SECRET must be at least 16 characters');
    expect(act).not.toThrow(/fifteen-chars-x/);
  });

  test('when INGEST_PORT is not a number, then start-up fails naming it', () => {
    // Arrange
    const env = { WEBHOOK_SECRET: '0123456789abcdef', INGEST_PORT: 'eighty' };

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(act).toThrow('INGEST_PORT must be a number');
  });

  test('when INGEST_PORT is set, then it is used', () => {
    // Arrange
    const env = { WEBHOOK_SECRET: '0123456789abcdef', INGEST_PORT: '8080' };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.port).toBe(8080);
  });
});
