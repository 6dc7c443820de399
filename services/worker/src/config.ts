import { QueueEnv, allowInsecureHttpEnv, boolEnv, httpsUnlessAllowed, intEnv, jobRetentionFrom, outboundUrlEnv, parseEnv, type Env } from '@bridge/shared';
import { z } from 'zod';

export const DEFAULT_SYSTEM_PROMPT =
  'You are a friendly customer support agent answering on WhatsApp. Answer briefly and clearly in the language of the customer. If you cannot help, say so and offer to connect them with a person.';

/** Opt-out and opt-in words Braze answers itself (BRAZE.md §6): the bot stays silent on them. */
export const DEFAULT_SILENT_KEYWORDS = 'STOP,STOPALL,STOP ALL,UNSUBSCRIBE,CANCEL,END,QUIT,OPTOUT,OPT OUT,OPT-OUT,START,UNSTOP';

const WorkerEnv = QueueEnv.extend({
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
  BRAZE_TRIGGER_PROPERTY: z.string().regex(/^[A-Za-z0-9_]+$/, 'may contain letters, digits and _ only').default('external_system_msg_body'),
  BRAZE_TIMEOUT_MS: intEnv(10_000),
  BRAZE_BATCH_SIZE: intEnv(50).pipe(z.number().max(50, 'must be at most 50 (Braze takes 50 recipients per request)')),
  BRAZE_BATCH_WAIT_MS: intEnv(20, 0),
  AI_RATE_LIMIT_TOKEN_FLOOR: intEnv(1_000, 0),
  HISTORY_MAX_TURNS: intEnv(10, 0),
  HISTORY_TTL_SECONDS: intEnv(86_400),
  FALLBACK_MESSAGE: z.string().max(4096).optional(),
  SILENT_KEYWORDS: z.string().default(DEFAULT_SILENT_KEYWORDS),
  ORDER_GAP_GRACE_MS: intEnv(15_000),
  METRICS_QUEUE_DEPTH: boolEnv(true),
  ALLOW_INSECURE_HTTP: allowInsecureHttpEnv(),
}).superRefine(httpsUnlessAllowed(['AI_BASE_URL', 'BRAZE_REST_ENDPOINT']));

/**
 * MAX calls per DURATION as one call per DURATION/MAX ms. BullMQ's limiter counts fixed windows,
 * and MAX calls at the end of one window plus MAX at the start of the next would put 2×MAX in a
 * sliding window; evenly spaced calls keep every sliding window at MAX.
 */
export function evenRateLimit(max: number, durationMs: number) {
  return { max: 1, duration: Math.ceil(durationMs / max) };
}

export function loadConfig(env: Env) {
  const e = parseEnv(WorkerEnv, env);
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
      triggerProperty: e.BRAZE_TRIGGER_PROPERTY,
      timeoutMs: e.BRAZE_TIMEOUT_MS,
      batchSize: e.BRAZE_BATCH_SIZE,
      batchWaitMs: e.BRAZE_BATCH_WAIT_MS,
    },
    history: { maxTurns: e.HISTORY_MAX_TURNS, ttlSeconds: e.HISTORY_TTL_SECONDS },
    fallbackMessage: e.FALLBACK_MESSAGE,
    silentKeywords: e.SILENT_KEYWORDS.split(',').map((k) => k.trim()).filter(Boolean),
    orderGapGraceMs: e.ORDER_GAP_GRACE_MS,
    queueDepthMetrics: e.METRICS_QUEUE_DEPTH,
  };
}
export type WorkerConfig = ReturnType<typeof loadConfig>;
