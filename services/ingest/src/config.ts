import { AgentDeskEnv, ConversationFileEnv, QueueEnv, conversationFileFrom, intEnv, jobRetentionFrom, parseEnv, type Env } from '@bridge/shared';
import { z } from 'zod';

const IngestEnv = QueueEnv.extend({
  ...ConversationFileEnv,
  ...AgentDeskEnv,
  INGEST_PORT: intEnv(3000),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters'),
  INGEST_MAX_BODY_BYTES: intEnv(65_536, 1_024),
  AGENT_API_TOKEN: z.string().transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(24, 'each token must be at least 24 characters (e.g. openssl rand -hex 32)')).min(1)).optional()
    .describe('Bearer token(s) of the agent API (/agent/*); comma-separated to rotate. Unset: the agent API is off.'),
});
export { IngestEnv };

export function loadConfig(env: Env) {
  const e = parseEnv(IngestEnv, env);
  const file = conversationFileFrom(e);
  return {
    port: e.INGEST_PORT,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    prefix: e.REDIS_PREFIX,
    logLevel: e.LOG_LEVEL,
    webhookSecret: e.WEBHOOK_SECRET,
    maxBodyBytes: e.INGEST_MAX_BODY_BYTES,
    jobs: jobRetentionFrom(e),
    ttlSeconds: e.CONVERSATION_TTL_HOURS * 3600,
    routes: new Set(file.routes.map((r) => r.name.toLowerCase())),
    agentApiTokens: e.AGENT_API_TOKEN,
    handoffText: e.AGENT_HANDOFF_TEXT,
  };
}
export type IngestConfig = ReturnType<typeof loadConfig>;
