import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, DEFAULT_HANDOFF_TEXT } from '@bridge/shared';
import { hashPassword } from './auth/password-hash';
import { loadConfig } from './config';

const requiredEnv = () => ({ DASHBOARD_USERNAME: 'ops', DASHBOARD_PASSWORD: 'correct-horse-battery' });
let hash: string;
let dir: string;
beforeAll(async () => {
  hash = await hashPassword('ada-password-1', { N: 1024, r: 8, p: 1 });
  dir = mkdtempSync(path.join(tmpdir(), 'dashboard-users-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dashboard loadConfig', () => {
  test('when only the credentials are set, then the documented defaults apply and the pair is one admin', () => {
    // Arrange
    const env = requiredEnv();

    // Act
    const config = loadConfig(env);

    // Assert
    expect(config.port).toBe(3001);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.readOnly).toBe(false);
    expect(config.showPii).toBe(false);
    expect(config.accounts).toEqual([{ name: 'ops', role: 'admin', password: 'correct-horse-battery' }]);
    expect(config.login).toEqual({ failuresPerAddress: 20, failuresPerUser: 10, blockSeconds: 900 });
    expect(config.trustProxy).toBe(false);
  });

  test.each([
    ['nothing is set', {}, { ttlSeconds: 72 * 3600, handoffText: DEFAULT_HANDOFF_TEXT, jobs: { attempts: 8, keepCompleted: 1000, keepCompletedSeconds: 72 * 3600, keepFailedSeconds: 72 * 3600 } }],
    ['the shared variables are set', { CONVERSATION_TTL_HOURS: '24', AGENT_HANDOFF_TEXT: 'Un momento, por favor.', JOB_ATTEMPTS: '3', JOB_KEEP_COMPLETED: '0', JOB_KEEP_FAILED_DAYS: '2' },
      { ttlSeconds: 24 * 3600, handoffText: 'Un momento, por favor.', jobs: { attempts: 3, keepCompleted: 0, keepCompletedSeconds: 24 * 3600, keepFailedSeconds: 24 * 3600 } }],
  ])('when %s, then the agent console keeps conversations, tells customers and retries replies as the other services do', (_case, extra, expected) => {
    expect(loadConfig({ ...requiredEnv(), ...extra }).agentConsole).toEqual(expected);
  });

  test('when AGENT_HANDOFF_TEXT is longer than a WhatsApp message, then start-up fails naming it', () => {
    const act = () => loadConfig({ ...requiredEnv(), AGENT_HANDOFF_TEXT: 'x'.repeat(4097) });

    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/AGENT_HANDOFF_TEXT/);
  });

  test('when DASHBOARD_PASSWORD is missing, then start-up fails naming it', () => {
    // Arrange
    const env = { DASHBOARD_USERNAME: 'ops' };

    // Act
    const act = () => loadConfig(env);

    // Assert
    expect(act).toThrow(ConfigError);
    expect(act).toThrow('DASHBOARD_PASSWORD is required with DASHBOARD_USERNAME');
  });

  test('when no account is configured at all, then start-up names both ways to configure one', () => {
    expect(() => loadConfig({})).toThrow('DASHBOARD_USERS or DASHBOARD_USERS_FILE, or DASHBOARD_USERNAME with DASHBOARD_PASSWORD, is required');
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

  test('when DASHBOARD_USERS holds accounts next to the pair, then both are accounts', () => {
    const config = loadConfig({ ...requiredEnv(), DASHBOARD_USERS: `ada:${hash}:agent` });
    expect(config.accounts.map(({ name, role }) => `${name}:${role}`)).toEqual(['ada:agent', 'ops:admin']);
  });

  test('when DASHBOARD_USERS has a bad entry, then start-up fails with one line naming the entry number, never the hash', () => {
    // Act
    const act = () => loadConfig({ DASHBOARD_USERS: `ada:${hash}:agent,bob:${hash.replace("scrypt$1024$", "scrypt$1000$")}:admin` });

    // Assert
    expect(act).toThrow(/^Invalid configuration: DASHBOARD_USERS entry 2 has no valid scrypt\$N\$r\$p\$salt\$hash/);
    expect(act).not.toThrow(hash.split('$')[4]);
  });

  test('when DASHBOARD_USERS names the DASHBOARD_USERNAME user again, then start-up refuses the clash', () => {
    expect(() => loadConfig({ ...requiredEnv(), DASHBOARD_USERS: `ops:${hash}:agent` })).toThrow('DASHBOARD_USERS has an account named like DASHBOARD_USERNAME');
  });

  test('when DASHBOARD_USERS_FILE names a file of entries, then its accounts are read and its problems name lines', () => {
    // Arrange
    const good = path.join(dir, 'good');
    const bad = path.join(dir, 'bad');
    writeFileSync(good, `# accounts\nada:${hash}:agent\n`);
    writeFileSync(bad, `# accounts\n\nada:${hash}:chief\n`);

    // Act
    const config = loadConfig({ DASHBOARD_USERS_FILE: good });
    const act = () => loadConfig({ DASHBOARD_USERS_FILE: bad });

    // Assert
    expect(config.accounts.map((a) => a.name)).toEqual(['ada']);
    expect(act).toThrow('DASHBOARD_USERS_FILE line 3 has role "chief": it must be admin or agent');
  });

  test.each([
    ['a file that does not exist', () => ({ DASHBOARD_USERS_FILE: path.join(dir, 'missing') }), 'DASHBOARD_USERS_FILE cannot be read (ENOENT)'],
    ['a file with comments only', () => { writeFileSync(path.join(dir, 'empty'), '# none yet\n'); return { DASHBOARD_USERS_FILE: path.join(dir, 'empty') }; }, 'DASHBOARD_USERS_FILE holds no account'],
    ['both DASHBOARD_USERS and DASHBOARD_USERS_FILE', () => ({ DASHBOARD_USERS: `ada:${hash}:agent`, DASHBOARD_USERS_FILE: path.join(dir, 'good') }), 'DASHBOARD_USERS_FILE and DASHBOARD_USERS are both set'],
  ])('when the accounts come from %s, then start-up fails naming the variable', (_name, env, expected) => {
    expect(() => loadConfig(env())).toThrow(expected);
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
