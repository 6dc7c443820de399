import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  test('when only the required variables are set, then the documented defaults apply', () => {
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
});

describe('worker loadConfig: AI features', () => {
  const withFile = (content: unknown) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-config-')), 'conversation.json');
    fs.writeFileSync(file, JSON.stringify(content));
    return { CONVERSATION_FILE: file };
  };
  const toolsRoute = (tools: unknown) => withFile({ routes: [{ name: 'sales', match: { keywords: ['buy'] }, action: 'ai', tools }] });
  const tools = { AI_TOOLS: 'true', LIVE_AGENTS: 'true', BRAZE_SYNC_PROFILE: 'true', BRAZE_WRITABLE_ATTRIBUTES: 'plan', BRAZE_LOGGABLE_EVENTS: 'lead' };

  test('when nothing is set, then the AI features are off and replies fit WhatsApp in up to 3 messages', () => {
    const config = loadConfig(requiredEnv());
    expect(config.ai.tools).toBeUndefined();
    expect(config.ai.transcribe).toBeUndefined();
    expect(config.ai.vision).toBe(false);
    expect(config.coalesce).toBeUndefined();
    expect(config.ai.reply).toEqual({ maxChars: 4096, maxParts: 3 });
    expect(config.media).toEqual({ maxBytes: 16 * 1024 * 1024, timeoutMs: 15_000, allowPrivate: false });
  });

  test('when AI_TRANSCRIBE is on without a base URL or key of its own, then the AI server and key are used with whisper-1', () => {
    const config = loadConfig({ ...requiredEnv(), AI_TRANSCRIBE: 'true', AI_BASE_URL: 'http://127.0.0.1:11434/v1/' });
    expect(config.ai.transcribe).toEqual({ model: 'whisper-1', baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'sk-test-0123456789', timeoutMs: 30_000 });
  });

  it.each([
    ['the AI may write attributes without profile sync', { AI_TOOLS: 'true', BRAZE_WRITABLE_ATTRIBUTES: 'plan' }, 'BRAZE_WRITABLE_ATTRIBUTES needs BRAZE_SYNC_PROFILE=true'],
    ['the AI may log events without profile sync', { AI_TOOLS: 'true', BRAZE_LOGGABLE_EVENTS: 'lead' }, 'BRAZE_LOGGABLE_EVENTS needs BRAZE_SYNC_PROFILE=true'],
    ['an attribute name is the bridge\'s own', { BRAZE_WRITABLE_ATTRIBUTES: 'plan,bridge_state' }, 'attribute names starting with bridge_ are the bridge\'s own'],
    ['an attribute name has a space', { BRAZE_WRITABLE_ATTRIBUTES: 'favourite colour' }, 'attribute names may contain letters, digits and _ only'],
    ['REPLY_MAX_CHARS is past WhatsApp\'s limit', { REPLY_MAX_CHARS: '5000' }, 'REPLY_MAX_CHARS must be at most 4096'],
    ['the burst cap is shorter than the window', { COALESCE_WINDOW_MS: '3000', COALESCE_MAX_MS: '2000' }, 'COALESCE_MAX_MS must be at least COALESCE_WINDOW_MS'],
    ['AI_TRANSCRIBE_BASE_URL is not a URL', { AI_TRANSCRIBE_BASE_URL: 'whisper.local' }, 'AI_TRANSCRIBE_BASE_URL must be a URL'],
  ])('when %s, then start-up fails with one line naming it', (_case, extra, message) => {
    expect(() => loadConfig({ ...requiredEnv(), ...extra })).toThrow(message);
  });

  it.each([
    ['names a tool that does not exist', () => ({ ...tools, ...toolsRoute(['send_money']) }), 'route "sales" field tools.0 must be one of handoff_to_agent, set_user_attributes, log_event, start_flow'],
    ['offers start_flow in a file without flows', () => ({ ...tools, ...toolsRoute(['start_flow']) }), 'route "sales" field tools offers start_flow, but this file has no flows to start'],
    ['lists tools while AI_TOOLS is off', () => toolsRoute(['handoff_to_agent']), 'route "sales" field tools needs AI_TOOLS=true'],
    ['offers set_user_attributes with no attribute listed', () => ({ ...tools, BRAZE_WRITABLE_ATTRIBUTES: '', ...toolsRoute(['set_user_attributes']) }), 'route "sales" field tools offers set_user_attributes, which needs BRAZE_WRITABLE_ATTRIBUTES'],
    ['offers handoff_to_agent while nobody answers handoffs', () => ({ ...tools, LIVE_AGENTS: 'false', ...toolsRoute(['handoff_to_agent']) }), 'route "sales" field tools offers handoff_to_agent, which needs LIVE_AGENTS=true'],
  ])('when an ai route %s, then start-up fails naming the route and the field', (_case, env, message) => {
    expect(() => loadConfig({ ...requiredEnv(), ...env() })).toThrow(message);
  });

  test('when AI_TOOLS is on with the lists and profile sync, then the tools and the lists are configured', () => {
    const config = loadConfig({ ...requiredEnv(), ...tools, BRAZE_WRITABLE_ATTRIBUTES: ' plan , city ,' });
    expect(config.ai.tools).toEqual({ maxRounds: 3, handoff: true, writableAttributes: ['plan', 'city'], loggableEvents: ['lead'] });
  });
});
