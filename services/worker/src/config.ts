import { AgentDeskEnv, ConversationFileEnv, QueueEnv, allowInsecureHttpEnv, boolEnv, conversationFileFrom, httpsUnlessAllowed, intEnv, jobRetentionFrom, outboundUrlEnv, parseEnv, type Env } from '@bridge/shared';
import { z } from 'zod';
import { DEFAULT_SILENT_KEYWORDS } from './conversation/match';

export const DEFAULT_SYSTEM_PROMPT =
  'You are a friendly customer support agent answering on WhatsApp. Answer briefly and clearly in the language of the customer. If you cannot help, say so and offer to connect them with a person.';
export const DEFAULT_FALLBACK_MESSAGE = 'Sorry, we cannot answer right now. Please try again in a little while.';
export const DEFAULT_ASSIST_PROMPT =
  'You help a human support agent who answers a customer on WhatsApp. Write the reply the agent could send next: brief, friendly, in the customer\'s language. Write only the reply.';

/** A Standard Webhooks secret: whsec_ and base64 (https://www.standardwebhooks.com/). */
const WebhookSecrets = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)).pipe(z.array(
  z.string().regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'must be whsec_ followed by at least 24 random bytes in base64 (e.g. "whsec_$(openssl rand -base64 32)"); separate several with commas'),
).min(1));

/** A Chatwoot account or inbox id: no default, it is yours. */
const chatwootId = () => z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1');

const WorkerEnv = QueueEnv.extend({
  ...ConversationFileEnv,
  ...AgentDeskEnv,
  WORKER_PORT: intEnv(3002),
  WORKER_CONCURRENCY: intEnv(20),
  WORKER_LOCK_DURATION_MS: intEnv(10_000, 1_000),
  WORKER_SHUTDOWN_TIMEOUT_MS: intEnv(45_000, 1_000),
  AI_BASE_URL: outboundUrlEnv().default('https://api.openai.com/v1'),
  AI_API_KEY: z.string().min(1),
  AI_MODEL: z.string().min(1),
  AI_SYSTEM_PROMPT: z.string().min(1).default(DEFAULT_SYSTEM_PROMPT),
  AI_TIMEOUT_MS: intEnv(30_000),
  AI_RATE_LIMIT_MAX: intEnv(0, 1).optional(),
  AI_RATE_LIMIT_DURATION_MS: intEnv(1_000),
  BRAZE_REST_ENDPOINT: outboundUrlEnv(),
  BRAZE_API_KEY: z.string().min(1),
  BRAZE_CAMPAIGN_ID: z.string().min(1),
  BRAZE_AGENT_CAMPAIGN_ID: z.string().min(1).optional()
    .describe('API-triggered campaign for agents\' replies and the handoff text; default BRAZE_CAMPAIGN_ID.'),
  BRAZE_TEMPLATE_CAMPAIGN_ID: z.string().min(1).optional()
    .describe('API-triggered campaign with an approved WhatsApp template, for replies that would leave after the 24-hour window closed. Unset: such replies fail with OUTSIDE_WHATSAPP_WINDOW.'),
  WHATSAPP_WINDOW_MARGIN_MINUTES: intEnv(30, 0).pipe(z.number().max(23 * 60, 'must be less than 23 hours'))
    .describe('The window counts as closed this long before WhatsApp\'s 24 hours after the customer\'s last message.'),
  BRAZE_TRIGGER_PROPERTY: z.string().regex(/^[A-Za-z0-9_]+$/, 'may contain letters, digits and _ only').default('external_system_msg_body'),
  BRAZE_TIMEOUT_MS: intEnv(10_000),
  BRAZE_BATCH_SIZE: intEnv(50).pipe(z.number().max(50, 'must be at most 50 (Braze takes 50 recipients per request)')),
  BRAZE_BATCH_WAIT_MS: intEnv(20, 0),
  BRAZE_SYNC_PROFILE: boolEnv(false)
    .describe('Write bridge_* custom attributes, the flows\' set_attributes and events to the Braze profile (POST /users/track; the API key then needs users.track).'),
  BRAZE_TRACK_BATCH_SIZE: intEnv(75).pipe(z.number().max(75, 'must be at most 75 (Braze takes 75 objects per /users/track request)'))
    .describe('Attribute and event objects per /users/track request: 75, or 50 on Braze\'s newer MAU package.'),
  BRAZE_TRACK_RATE_LIMIT_PER_MINUTE: intEnv(0, 1).optional()
    .describe('/users/track requests per clock minute, for all workers together; unset = no limit of our own (Braze\'s 429s are still obeyed).'),
  AI_RATE_LIMIT_TOKEN_FLOOR: intEnv(1_000, 0),
  HISTORY_MAX_TURNS: intEnv(10, 0),
  HISTORY_TTL_SECONDS: intEnv(86_400),
  FALLBACK_MESSAGE: z.string().max(4096).default(DEFAULT_FALLBACK_MESSAGE)
    .describe('Sent when the AI cannot answer (it kept failing, refused without text, or answered nothing). Set it empty (FALLBACK_MESSAGE=) to send nothing.'),
  SILENT_KEYWORDS: z.string().default(DEFAULT_SILENT_KEYWORDS)
    .describe('Comma-separated whole-message words the bot never answers (opt-out and opt-in words Braze handles itself; English, Portuguese and Spanish by default). Setting it replaces the list.'),
  ORDER_GAP_GRACE_MS: intEnv(15_000),
  METRICS_QUEUE_DEPTH: boolEnv(true),
  LIVE_AGENTS: boolEnv(false)
    .describe('People answer handed-off conversations (console, AGENT_WEBHOOK_URL or Chatwoot): a permanent AI failure then hands the conversation to them instead of sending FALLBACK_MESSAGE.'),
  AGENT_IDLE_RELEASE_MINUTES: intEnv(60)
    .describe('A handed-off conversation goes back to the bot after this long without an agent message.'),
  AGENT_ASSIST: boolEnv(false)
    .describe('Draft a suggested reply with the AI for each customer message while handed off (shown in the console and in message.received; never sent by itself; counts against the AI rate limit).'),
  AGENT_ASSIST_PROMPT: z.string().min(1).default(DEFAULT_ASSIST_PROMPT)
    .describe('System prompt for agent assist drafts.'),
  AGENT_WEBHOOK_URL: outboundUrlEnv().optional()
    .describe('Receiver of live-agent events (Standard Webhooks: handoff.started, message.received, message.sent, message.failed, handoff.ended).'),
  AGENT_WEBHOOK_SECRET: WebhookSecrets.optional()
    .describe('Signing secret(s) for AGENT_WEBHOOK_URL in the whsec_<base64> form; comma-separated to rotate (each one signs). Required with AGENT_WEBHOOK_URL.'),
  AGENT_WEBHOOK_TIMEOUT_MS: intEnv(10_000)
    .describe('One delivery to AGENT_WEBHOOK_URL.'),
  AGENT_EVENT_ATTEMPTS: intEnv(20)
    .describe('Delivery attempts per agent event, with exponential backoff capped at 5 minutes (20 is about an hour): a receiver may be down that long without losing events.'),
  CHATWOOT_URL: outboundUrlEnv().optional()
    .describe('Your Chatwoot (e.g. https://chatwoot.example.com, or https://app.chatwoot.com): handed-off conversations then open in its API inbox CHATWOOT_INBOX_ID, and agents answer there.'),
  CHATWOOT_API_TOKEN: z.string().min(1).optional()
    .describe('A Chatwoot user\'s access token (Profile settings → Access Token), sent as api_access_token; an agent-bot token cannot create or find contacts. Required with CHATWOOT_URL.'),
  CHATWOOT_ACCOUNT_ID: chatwootId().optional()
    .describe('The Chatwoot account id (the number after /app/accounts/ in its URLs). Required with CHATWOOT_URL.'),
  CHATWOOT_INBOX_ID: chatwootId().optional()
    .describe('The id of the API-channel inbox whose webhook URL points at the bridge (the number after /inboxes/ in its settings URL). Required with CHATWOOT_URL.'),
  CHATWOOT_MARK_FAILED: boolEnv(false)
    .describe('Also mark an agent reply that could not be delivered as failed in Chatwoot (PATCH .../messages/{id}; Chatwoot releases from April 2025 on). A private note saying why is always added.'),
  CHATWOOT_TIMEOUT_MS: intEnv(10_000)
    .describe('One request to Chatwoot.'),
  ALLOW_INSECURE_HTTP: allowInsecureHttpEnv(),
}).superRefine((env, ctx) => {
  httpsUnlessAllowed(['AI_BASE_URL', 'BRAZE_REST_ENDPOINT', 'AGENT_WEBHOOK_URL', 'CHATWOOT_URL'])(env, ctx);
  if (env.AGENT_WEBHOOK_URL && !env.AGENT_WEBHOOK_SECRET) ctx.addIssue({ code: 'custom', path: ['AGENT_WEBHOOK_SECRET'], message: 'is required when AGENT_WEBHOOK_URL is set' });
  if (env.CHATWOOT_URL) {
    for (const name of ['CHATWOOT_API_TOKEN', 'CHATWOOT_ACCOUNT_ID', 'CHATWOOT_INBOX_ID'] as const) {
      if (env[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when CHATWOOT_URL is set' });
    }
  }
});
export { WorkerEnv };

/**
 * MAX calls per DURATION as one call per DURATION/MAX ms. BullMQ's limiter counts fixed windows,
 * and MAX calls at the end of one window plus MAX at the start of the next would put 2×MAX in a
 * sliding window; evenly spaced calls keep every sliding window at MAX.
 */
export function evenRateLimit(max: number, durationMs: number) {
  return { max: 1, duration: Math.ceil(durationMs / max) };
}

const WHATSAPP_WINDOW_MS = 24 * 3_600_000;

export function loadConfig(env: Env) {
  const e = parseEnv(WorkerEnv, env, { keepEmpty: ['FALLBACK_MESSAGE'] });
  return {
    port: e.WORKER_PORT,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    prefix: e.REDIS_PREFIX,
    logLevel: e.LOG_LEVEL,
    logPii: e.LOG_PII,
    concurrency: e.WORKER_CONCURRENCY,
    lockDurationMs: e.WORKER_LOCK_DURATION_MS,
    shutdownTimeoutMs: e.WORKER_SHUTDOWN_TIMEOUT_MS,
    jobs: jobRetentionFrom(e),
    ttlSeconds: e.CONVERSATION_TTL_HOURS * 3600,
    conversationFile: conversationFileFrom(e),
    ai: {
      baseUrl: e.AI_BASE_URL.replace(/\/+$/, ''),
      apiKey: e.AI_API_KEY,
      model: e.AI_MODEL,
      systemPrompt: e.AI_SYSTEM_PROMPT,
      timeoutMs: e.AI_TIMEOUT_MS,
      rateLimit: e.AI_RATE_LIMIT_MAX ? evenRateLimit(e.AI_RATE_LIMIT_MAX, e.AI_RATE_LIMIT_DURATION_MS) : undefined,
      tokenFloor: e.AI_RATE_LIMIT_TOKEN_FLOOR,
    },
    braze: {
      endpoint: e.BRAZE_REST_ENDPOINT.replace(/\/+$/, ''),
      apiKey: e.BRAZE_API_KEY,
      campaignId: e.BRAZE_CAMPAIGN_ID,
      agentCampaignId: e.BRAZE_AGENT_CAMPAIGN_ID,
      templateCampaignId: e.BRAZE_TEMPLATE_CAMPAIGN_ID,
      triggerProperty: e.BRAZE_TRIGGER_PROPERTY,
      timeoutMs: e.BRAZE_TIMEOUT_MS,
      batchSize: e.BRAZE_BATCH_SIZE,
      batchWaitMs: e.BRAZE_BATCH_WAIT_MS,
    },
    profile: e.BRAZE_SYNC_PROFILE ? { batchSize: e.BRAZE_TRACK_BATCH_SIZE, requestsPerMinute: e.BRAZE_TRACK_RATE_LIMIT_PER_MINUTE } : undefined,
    windowMs: WHATSAPP_WINDOW_MS - e.WHATSAPP_WINDOW_MARGIN_MINUTES * 60_000,
    history: { maxTurns: e.HISTORY_MAX_TURNS, ttlMs: e.HISTORY_TTL_SECONDS * 1000 },
    fallbackMessage: e.FALLBACK_MESSAGE.trim() || undefined,
    silentKeywords: e.SILENT_KEYWORDS.split(',').map((k) => k.trim()).filter(Boolean),
    orderGapGraceMs: e.ORDER_GAP_GRACE_MS,
    queueDepthMetrics: e.METRICS_QUEUE_DEPTH,
    agents: {
      live: e.LIVE_AGENTS,
      handoffText: e.AGENT_HANDOFF_TEXT,
      idleReleaseMs: e.AGENT_IDLE_RELEASE_MINUTES * 60_000,
      assist: e.AGENT_ASSIST,
      assistPrompt: e.AGENT_ASSIST_PROMPT,
      webhook: e.AGENT_WEBHOOK_URL ? { url: e.AGENT_WEBHOOK_URL, secrets: e.AGENT_WEBHOOK_SECRET!, timeoutMs: e.AGENT_WEBHOOK_TIMEOUT_MS } : undefined,
      eventAttempts: e.AGENT_EVENT_ATTEMPTS,
    },
    chatwoot: e.CHATWOOT_URL
      ? {
        url: e.CHATWOOT_URL.replace(/\/+$/, ''), token: e.CHATWOOT_API_TOKEN!, accountId: e.CHATWOOT_ACCOUNT_ID!, inboxId: e.CHATWOOT_INBOX_ID!,
        markFailed: e.CHATWOOT_MARK_FAILED, timeoutMs: e.CHATWOOT_TIMEOUT_MS,
      }
      : undefined,
  };
}
export type WorkerConfig = ReturnType<typeof loadConfig>;
