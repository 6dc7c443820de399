import { readFileSync } from 'node:fs';
import path from 'node:path';
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
    expect(config.webhookSecrets).toEqual(['0123456789abcdef']);
    expect(config.allowedCidrs).toBeUndefined();
    expect(config.trustProxy).toBe(false);
    expect(config.logPii).toBe(false);
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

  test('when WEBHOOK_SECRET lists two secrets during a rotation, then both are kept', () => {
    const config = loadConfig({ WEBHOOK_SECRET: 'current-secret-0123, next-secret-4567890' });
    expect(config.webhookSecrets).toEqual(['current-secret-0123', 'next-secret-4567890']);
  });

  test('when the second secret of a rotation list is too short, then start-up names its entry and shows neither', () => {
    // Act
    const act = () => loadConfig({ WEBHOOK_SECRET: 'current-secret-0123,short-next' });

    // Assert
    expect(act).toThrow('WEBHOOK_SECRET entry 2 must be at least 16 characters');
    expect(act).not.toThrow(/current-secret|short-next/);
  });

  test('when WEBHOOK_ALLOWED_CIDRS lists ranges, then they are parsed for the allowlist', () => {
    const config = loadConfig({ WEBHOOK_SECRET: '0123456789abcdef', WEBHOOK_ALLOWED_CIDRS: '127.0.0.1,52.58.142.242, 10.0.0.0/8' });
    expect(config.allowedCidrs!.map(([a, bits]) => `${a.toString()}/${bits}`)).toEqual(['127.0.0.1/32', '52.58.142.242/32', '10.0.0.0/8']);
  });

  test('when WEBHOOK_ALLOWED_CIDRS has a bad entry, then start-up fails naming the variable and the entry', () => {
    expect(() => loadConfig({ WEBHOOK_SECRET: '0123456789abcdef', WEBHOOK_ALLOWED_CIDRS: '52.58.142.242,52.29.193/24' }))
      .toThrow('WEBHOOK_ALLOWED_CIDRS entry 2 "52.29.193/24" is not an IP address or CIDR range');
  });

  test('when TRUST_PROXY names the proxies, then Express gets the list', () => {
    const config = loadConfig({ WEBHOOK_SECRET: '0123456789abcdef', TRUST_PROXY: 'loopback,10.0.0.0/8' });
    expect(config.trustProxy).toEqual(['loopback', '10.0.0.0/8']);
  });

  test('when TRUST_PROXY is true with an allowlist, then start-up refuses it (any client could name its own address)', () => {
    expect(() => loadConfig({ WEBHOOK_SECRET: '0123456789abcdef', WEBHOOK_ALLOWED_CIDRS: '10.0.0.0/8', TRUST_PROXY: 'true' }))
      .toThrow('TRUST_PROXY must not be true with WEBHOOK_ALLOWED_CIDRS');
  });

  test('when a ready WEBHOOK_ALLOWED_CIDRS value of docs/security.md is used, then every one of them is accepted', () => {
    // Arrange
    const doc = readFileSync(path.join(__dirname, '../../../docs/security.md'), 'utf8');
    const values = [...doc.matchAll(/`WEBHOOK_ALLOWED_CIDRS=([^`]+)`/g)].map((m) => m[1]!);

    // Act
    const counts = values.map((v) => loadConfig({ WEBHOOK_SECRET: '0123456789abcdef', WEBHOOK_ALLOWED_CIDRS: v }).allowedCidrs!.length);

    // Assert: one line per Braze instance group, each with its addresses
    expect(counts).toEqual([8, 18, 6, 9, 6, 6, 6, 6]);
  });

  test.each([
    ['unset', undefined, 'braze_id'],
    ['user_alias', 'user_alias', 'user_alias'],
    ['braze_id', 'braze_id', 'braze_id'],
  ])('when UNKNOWN_SENDER_RECIPIENT is %s, then unknown senders are addressed by %s', (_case, value, expected) => {
    // Arrange
    const env = { WEBHOOK_SECRET: '0123456789abcdef', UNKNOWN_SENDER_RECIPIENT: value };

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.unknownSender).toBe(expected);
  });

  test('when UNKNOWN_SENDER_RECIPIENT is something else, then start-up fails naming it', () => {
    // Arrange
    const env = { WEBHOOK_SECRET: '0123456789abcdef', UNKNOWN_SENDER_RECIPIENT: 'phone' };

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(act).toThrow('UNKNOWN_SENDER_RECIPIENT must be braze_id or user_alias');
  });

  test('when a Chatwoot secret or token is set, then the Chatwoot webhook is on with it; with neither it is off', () => {
    const base = { WEBHOOK_SECRET: '0123456789abcdef' };
    expect(loadConfig({ ...base, CHATWOOT_WEBHOOK_SECRET: 'inbox-secret-0123456789' }).chatwoot).toEqual({ secrets: ['inbox-secret-0123456789'], tokens: undefined, allowedCidrs: undefined });
    expect(loadConfig({ ...base, CHATWOOT_WEBHOOK_TOKEN: 'a'.repeat(32) }).chatwoot?.tokens).toEqual(['a'.repeat(32)]);
    expect(loadConfig(base).chatwoot).toBeUndefined();
  });

  test.each([
    [{ CHATWOOT_URL: 'https://chatwoot.example.com' }, 'CHATWOOT_WEBHOOK_SECRET or CHATWOOT_WEBHOOK_TOKEN is required when CHATWOOT_URL is set'],
    [{ CHATWOOT_WEBHOOK_TOKEN: 'short-token' }, 'CHATWOOT_WEBHOOK_TOKEN must be at least 24 characters'],
    [{ CHATWOOT_WEBHOOK_SECRET: 'inbox-secret-0123456789', CHATWOOT_ALLOWED_CIDRS: '10.0.0/8' }, 'CHATWOOT_ALLOWED_CIDRS entry 1'],
  ])('when the Chatwoot webhook is set up as %j, then start-up fails with "%s"', (env, expected) => {
    expect(() => loadConfig({ WEBHOOK_SECRET: '0123456789abcdef', ...env })).toThrow(expected);
  });
});
