import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the global setup provided (test/global-setup.js). */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run the tests through jest (its global setup provides Redis)');
  return url;
}

/** A key prefix of its own for each test, so tests never see each other's data. */
export const uniquePrefix = () => `t${randomUUID().replace(/-/g, '').slice(0, 12)}`;

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** An ingest environment on the given Redis (integration tests pass testRedisUrl()). */
export function ingestEnv(redisUrl: string, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, WEBHOOK_SECRET, ...extra };
}

/**
 * A worker environment pointing at stand-ins; override per test. The Redis is a parameter, so
 * e2e suites (each test starts its own redis-server) need no global one.
 */
export function workerEnv(to: { redisUrl: string; prefix: string; aiUrl: string; brazeUrl: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: to.redisUrl,
    REDIS_PREFIX: to.prefix,
    LOG_LEVEL: 'error',
    AI_BASE_URL: to.aiUrl,
    AI_API_KEY: 'sk-test-ai-key',
    AI_MODEL: 'test-model',
    AI_SYSTEM_PROMPT: 'You are a test assistant.',
    AI_TIMEOUT_MS: '2000',
    BRAZE_REST_ENDPOINT: to.brazeUrl,
    BRAZE_API_KEY: 'braze-test-key',
    BRAZE_CAMPAIGN_ID: 'campaign-123',
    BRAZE_TIMEOUT_MS: '2000',
    WORKER_CONCURRENCY: '5',
    METRICS_QUEUE_DEPTH: 'false',
    ...extra,
  };
}

/** A plain client for assertions on what the services wrote. */
export function assertionRedis(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
}
