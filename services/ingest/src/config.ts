import { AgentDeskEnv, ChatwootUrlEnv, ConversationFileEnv, QueueEnv, cidrListEnv, conversationFileFrom, intEnv, conversationTtlSeconds, jobRetentionFrom, parseEnv, secretListEnv, trustProxyEnv, type Env } from '@bridge/shared';
import { z } from 'zod';

const IngestEnv = QueueEnv.extend({
  ...ConversationFileEnv,
  ...AgentDeskEnv,
  INGEST_PORT: intEnv(3000).describe('The webhook listener (plain HTTP). It also serves `/healthz`, `/readyz` and `/metrics`.'),
  WEBHOOK_SECRET: secretListEnv(16).describe('Shared secret Braze sends as X-Webhook-Secret or Authorization: Bearer, 16+ characters. Several, comma-separated, while one is rotated: any one is accepted.'),
  INGEST_MAX_BODY_BYTES: intEnv(65_536, 1_024).describe('The largest webhook body accepted, in bytes. A larger body gets `413`.'),
  AGENT_API_TOKEN: z.string().transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(24, 'each token must be at least 24 characters (e.g. openssl rand -hex 32)')).min(1)).optional()
    .describe('Bearer token(s) of the agent API (/agent/*); comma-separated to rotate. Unset: the agent API is off.'),
  ADMIN_API_TOKEN: secretListEnv(24).optional()
    .describe('Bearer token(s) of the admin API (`DELETE /users/<id>/data`: erase a person), 24+ characters; comma-separated to rotate. Unset: the admin API is off (404).'),
  UNKNOWN_SENDER_RECIPIENT: z
    .enum(['braze_id', 'user_alias'], { message: 'must be braze_id or user_alias' })
    .default('braze_id')
    .describe('How a reply is addressed when the sender has no external id (user_id is empty): `braze_id`, or `user_alias` (alias_label `phone`, alias_name the phone_number as received), which is how Braze keys unknown numbers. With `user_alias`, a body without a phone_number still goes by braze_id.'),
  WEBHOOK_ALLOWED_CIDRS: cidrListEnv().optional().describe('Comma-separated addresses and CIDR ranges allowed to post to /webhooks/braze/*; others get 403. Unset: any address. Ready values per Braze instance in docs/security.md.'),
  SENDER_RATE_LIMIT_PER_MINUTE: intEnv(20, 0).describe('Messages one sender (the user the reply goes to) may send per clock minute before the rest of that minute is `limited`: stored and answered `202`, never sent to the AI, answered once with SENDER_RATE_LIMIT_TEXT. `0`: no limit.'),
  CHATWOOT_WEBHOOK_SECRET: secretListEnv(16).optional()
    .describe('The Chatwoot API inbox\'s webhook secret (Chatwoot 4.13 and later sign with it): POST /webhooks/chatwoot needs a valid X-Chatwoot-Signature. Comma-separated while it is reset: any one is accepted.'),
  CHATWOOT_WEBHOOK_TOKEN: secretListEnv(24).optional()
    .describe('For Chatwoot releases before 4.13, which do not sign: a random token (24+ characters) the inbox\'s webhook URL ends with, /webhooks/chatwoot/<token>. Comma-separated to rotate.'),
  CHATWOOT_ALLOWED_CIDRS: cidrListEnv().optional()
    .describe('Comma-separated addresses and CIDR ranges allowed to post to /webhooks/chatwoot (your Chatwoot\'s); others get 403. Unset: any address.'),
  CHATWOOT_URL: ChatwootUrlEnv,
  TRUST_PROXY: trustProxyEnv().describe('Express trust proxy: false (the socket address is the client), a hop count, or the proxies\' addresses/CIDRs (or loopback, linklocal, uniquelocal) whose X-Forwarded-For is believed.'),
}).superRefine((env, ctx) => {
  if (env.TRUST_PROXY === true && env.WEBHOOK_ALLOWED_CIDRS) {
    ctx.addIssue({ code: 'custom', path: ['TRUST_PROXY'], message: 'must not be true with WEBHOOK_ALLOWED_CIDRS: every client could pick its address in X-Forwarded-For; name the proxies or a hop count' });
  }
  if (env.TRUST_PROXY === true && env.CHATWOOT_ALLOWED_CIDRS) {
    ctx.addIssue({ code: 'custom', path: ['TRUST_PROXY'], message: 'must not be true with CHATWOOT_ALLOWED_CIDRS: every client could pick its address in X-Forwarded-For; name the proxies or a hop count' });
  }
  if (env.CHATWOOT_URL && !env.CHATWOOT_WEBHOOK_SECRET && !env.CHATWOOT_WEBHOOK_TOKEN) {
    ctx.addIssue({ code: 'custom', path: ['CHATWOOT_WEBHOOK_SECRET'], message: 'or CHATWOOT_WEBHOOK_TOKEN is required when CHATWOOT_URL is set (the secret for Chatwoot 4.13 and later, the token before)' });
  }
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
    logPii: e.LOG_PII,
    webhookSecrets: e.WEBHOOK_SECRET,
    maxBodyBytes: e.INGEST_MAX_BODY_BYTES,
    allowedCidrs: e.WEBHOOK_ALLOWED_CIDRS,
    trustProxy: e.TRUST_PROXY,
    unknownSender: e.UNKNOWN_SENDER_RECIPIENT,
    jobs: jobRetentionFrom(e),
    ttlSeconds: conversationTtlSeconds(e),
    senderLimitPerMinute: e.SENDER_RATE_LIMIT_PER_MINUTE,
    routes: new Set(file.routes.map((r) => r.name.toLowerCase())),
    agentApiTokens: e.AGENT_API_TOKEN,
    adminApiTokens: e.ADMIN_API_TOKEN,
    chatwoot: e.CHATWOOT_WEBHOOK_SECRET || e.CHATWOOT_WEBHOOK_TOKEN
      ? { secrets: e.CHATWOOT_WEBHOOK_SECRET, tokens: e.CHATWOOT_WEBHOOK_TOKEN, allowedCidrs: e.CHATWOOT_ALLOWED_CIDRS }
      : undefined,
    handoffText: e.AGENT_HANDOFF_TEXT,
  };
}
export type IngestConfig = ReturnType<typeof loadConfig>;
