import { QueueEnv, intEnv, jobRetentionFrom, parseEnv, type Env } from '@bridge/shared';
import { z } from 'zod';

export const IngestEnv = QueueEnv.extend({
  INGEST_PORT: intEnv(3000).describe('The webhook listener (plain HTTP). It also serves `/healthz`, `/readyz` and `/metrics`.'),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').describe('The shared secret Braze sends as `X-Webhook-Secret` or `Authorization: Bearer`. Generate it with e.g. `openssl rand -hex 32`.'),
  INGEST_MAX_BODY_BYTES: intEnv(65_536, 1_024).describe('The largest webhook body accepted, in bytes. A larger body gets `413`.'),
});

export function loadConfig(env: Env) {
  const e = parseEnv(IngestEnv, env);
  return {
    port: e.INGEST_PORT,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    prefix: e.REDIS_PREFIX,
    logLevel: e.LOG_LEVEL,
    webhookSecret: e.WEBHOOK_SECRET,
    maxBodyBytes: e.INGEST_MAX_BODY_BYTES,
    jobs: jobRetentionFrom(e),
  };
}
export type IngestConfig = ReturnType<typeof loadConfig>;
