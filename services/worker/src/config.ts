import { QueueEnv, boolEnv, intEnv, jobRetentionFrom, parseEnv, urlEnv, type Env } from '@bridge/shared';
import { z } from 'zod';

export const DEFAULT_SYSTEM_PROMPT =
  'You are a friendly customer support agent answering on WhatsApp. Answer briefly and clearly in the language of the customer. If you cannot help, say so and offer to connect them with a person.';

/**
 * Opt-out and opt-in words Braze answers itself, so the bot stays silent on them: a webhook on every
 * inbound message also fires for them (https://www.braze.com/docs/user_guide/channels/whatsapp/message_processing/opt_ins_and_opt_outs).
 */
export const DEFAULT_SILENT_KEYWORDS = 'STOP,STOPALL,STOP ALL,UNSUBSCRIBE,CANCEL,END,QUIT,OPTOUT,OPT OUT,OPT-OUT,START,UNSTOP';

export const WorkerEnv = QueueEnv.extend({
  WORKER_PORT: intEnv(3002).describe('`/healthz`, `/readyz` and `/metrics` of the worker. Compose does not publish it.'),
  WORKER_CONCURRENCY: intEnv(20).describe('Jobs in flight per worker process, for each queue. For `reply-send` the worker uses at least `BRAZE_BATCH_SIZE`, so that a batch can fill.'),
  WORKER_LOCK_DURATION_MS: intEnv(10_000, 1_000).describe("The job lock; stalled jobs are checked every half of it. Another worker takes over a killed worker's job within twice this value."),
  WORKER_SHUTDOWN_TIMEOUT_MS: intEnv(45_000, 1_000).describe('The longest a worker waits for its jobs in flight after SIGTERM; after that it exits 1. Keep it below the grace period before SIGKILL (compose: 60 s).'),
  AI_BASE_URL: urlEnv(['http:', 'https:']).default('https://api.openai.com/v1').describe('Any OpenAI-compatible chat completions API. The worker posts to `{AI_BASE_URL}/chat/completions`.'),
  AI_API_KEY: z.string().min(1).describe('Sent to the AI as `Authorization: Bearer`.'),
  AI_MODEL: z.string().min(1).describe('The `model` field of each AI request.'),
  AI_SYSTEM_PROMPT: z.string().min(1).default(DEFAULT_SYSTEM_PROMPT).describe('The first (system) message of every AI request.'),
  AI_TIMEOUT_MS: intEnv(30_000).describe('The time limit for one AI request. A timeout is retried.'),
  AI_RATE_LIMIT_MAX: intEnv(0, 1).optional().describe('AI requests allowed per `AI_RATE_LIMIT_DURATION_MS`, shared by all worker processes and spaced evenly. Unset: no limit.'),
  AI_RATE_LIMIT_DURATION_MS: intEnv(1_000).describe('The window of `AI_RATE_LIMIT_MAX`, in milliseconds.'),
  BRAZE_REST_ENDPOINT: urlEnv(['http:', 'https:']).describe("Your Braze instance's REST endpoint, e.g. `https://rest.iad-01.braze.com` (all of them: [Braze set-up](braze-setup.md#1-rest-api-key-and-endpoint))."),
  BRAZE_API_KEY: z.string().min(1).describe('A Braze REST API key with the permission `campaigns.trigger.send`, as shown, without quotes.'),
  BRAZE_CAMPAIGN_ID: z.string().min(1).describe('The campaign ID of the API-triggered WhatsApp campaign that sends the replies.'),
  BRAZE_TRIGGER_PROPERTY: z.string().regex(/^[A-Za-z0-9_]+$/, 'may contain letters, digits and _ only').default('external_system_msg_body').describe("The trigger property that carries the reply: letters, digits and `_`. The campaign's message must render this exact name."),
  BRAZE_TIMEOUT_MS: intEnv(10_000).describe('The time limit for one Braze request.'),
  BRAZE_BATCH_SIZE: intEnv(50).pipe(z.number().max(50, 'must be at most 50 (Braze takes 50 recipients per request)')).describe('The most replies sent in one `/campaigns/trigger/send` request (Braze takes up to 50 recipients). `1` sends every reply on its own.'),
  BRAZE_BATCH_WAIT_MS: intEnv(20, 0).describe('How long the first reply of a batch waits for others before the request goes out.'),
  AI_RATE_LIMIT_TOKEN_FLOOR: intEnv(1_000, 0).describe("When the AI provider reports no request left, or fewer tokens than this, every worker stops starting AI calls until the provider's reset time."),
  HISTORY_MAX_TURNS: intEnv(10, 0).describe('How many earlier user/assistant turns the AI sees. `0` turns history off.'),
  HISTORY_TTL_SECONDS: intEnv(86_400).describe("A conversation's history is forgotten this long after its last reply."),
  FALLBACK_MESSAGE: z.string().max(4096).optional().describe('Sent instead of an AI reply when the AI fails for good. Unset: no fallback.'),
  SILENT_KEYWORDS: z.string().default(DEFAULT_SILENT_KEYWORDS).describe('Comma-separated words that never get a reply: the opt-out and opt-in keywords Braze answers itself. Setting it replaces the whole list.'),
  ORDER_GAP_GRACE_MS: intEnv(15_000).describe('How long a conversation waits for a message whose place was taken but whose job never got stored.'),
  METRICS_QUEUE_DEPTH: boolEnv(true).describe('Whether `/metrics` exports `bridge_queue_jobs`, the jobs per queue and state, counted on each scrape.'),
});

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
