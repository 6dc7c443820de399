import { QueueEnv, intEnv, jobRetentionFrom, parseEnv, type Env } from '@bridge/shared';
import { z } from 'zod';

const IngestEnv = QueueEnv.extend({
  INGEST_PORT: intEnv(3000),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters'),
  INGEST_MAX_BODY_BYTES: intEnv(65_536, 1_024),
  UNKNOWN_SENDER_RECIPIENT: z
    .enum(['braze_id', 'user_alias'], { message: 'must be braze_id or user_alias' })
    .default('braze_id')
    .describe('How a reply is addressed when the sender has no external id (user_id is empty): `braze_id`, or `user_alias` (alias_label `phone`, alias_name the phone_number as received), which is how Braze keys unknown numbers. With `user_alias`, a body without a phone_number still goes by braze_id.'),
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
    unknownSender: e.UNKNOWN_SENDER_RECIPIENT,
    jobs: jobRetentionFrom(e),
  };
}
export type IngestConfig = ReturnType<typeof loadConfig>;
