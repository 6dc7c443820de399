import { ConfigError } from '@bridge/shared';
import { loadConfig } from './config';

const requiredEnv = () => ({ DASHBOARD_USERNAME: 'ops', DASHBOARD_PASSWORD: 'correct-horse-battery' });

describe('dashboard loadConfig', () => {
  test('when only the credentials are set, then the documented defaults apply', () => {
    // Arrange
    const env = requiredEnv();

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.port).toBe(3001);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.readOnly).toBe(false);
    expect(config.showPii).toBe(false);
  });

  test('when DASHBOARD_PASSWORD is missing, then start-up fails naming it', () => {
    // Arrange
    const env = { DASHBOARD_USERNAME: 'ops' };

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(act).toThrow(ConfigError);
    expect(act).toThrow('DASHBOARD_PASSWORD is required');
  });

  test('when DASHBOARD_PASSWORD is too short, then it is rejected without echoing it', () => {
    // Arrange
    const env = { DASHBOARD_USERNAME: 'ops', DASHBOARD_PASSWORD: 'pw-1x' };

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(act).toThrow('DASHBOARD_PASSWORD must be at least 8 characters');
    expect(act).not.toThrow(/pw-1x/);
  });

  test('when DASHBOARD_SHOW_PII is "false", then PII stays hidden', () => {
    // Arrange
    const env = { ...requiredEnv(), DASHBOARD_SHOW_PII: 'false', DASHBOARD_READ_ONLY: 'true' };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.showPii).toBe(false);
    expect(config.readOnly).toBe(true);
  });

  test('when DASHBOARD_READ_ONLY is junk, then start-up fails naming it', () => {
    // Arrange
    const env = { ...requiredEnv(), DASHBOARD_READ_ONLY: 'sometimes' };

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(act).toThrow('DASHBOARD_READ_ONLY must be true or false');
  });
});
