import { AgentDeskEnv, ConfigError, ConversationFileEnv, QueueEnv, allowInsecureHttpEnv, boolEnv, conversationFileFrom, httpsUnlessAllowed, intEnv, jobRetentionFrom, outboundUrlEnv, parseEnv, type ConversationFile, type Env } from '@bridge/shared';
import { z } from 'zod';
import { DEFAULT_SILENT_KEYWORDS } from './conversation/match';

export const DEFAULT_SYSTEM_PROMPT =
  'You are a friendly customer support agent answering on WhatsApp. Answer briefly and clearly in the language of the customer. If you cannot help, say so and offer to connect them with a person.';
export const DEFAULT_FALLBACK_MESSAGE = 'Sorry, we cannot answer right now. Please try again in a little while.';
export const DEFAULT_ASSIST_PROMPT =
  'You help a human support agent who answers a customer on WhatsApp. Write the reply the agent could send next: brief, friendly, in the customer\'s language. Write only the reply.';

/** WhatsApp's limit for the text of one message. */
export const WHATSAPP_TEXT_LIMIT = 4096;

/** A comma-separated list of Braze custom attribute or event names the AI may use. */
const BrazeNames = (what: string) => z.string().default('').transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)).pipe(z.array(
  z.string().regex(/^[A-Za-z0-9_]{1,100}$/, `${what} names may contain letters, digits and _ only (at most 100)`)
    .refine((name) => !name.startsWith('bridge_'), `${what} names starting with bridge_ are the bridge's own`),
));

/** A Standard Webhooks secret: whsec_ and base64 (https://www.standardwebhooks.com/). */
const WebhookSecrets = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)).pipe(z.array(
  z.string().regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'must be whsec_ followed by at least 24 random bytes in base64 (e.g. "whsec_$(openssl rand -base64 32)"); separate several with commas'),
).min(1));

const WorkerEnv = QueueEnv.extend({
  ...ConversationFileEnv,
  ...AgentDeskEnv,
  WORKER_PORT: intEnv(3002).describe('`/healthz`, `/readyz` and `/metrics` of the worker. Compose does not publish it.'),
  WORKER_CONCURRENCY: intEnv(20).describe('Jobs in flight per worker process, for each queue. For `reply-send` the worker uses at least `BRAZE_BATCH_SIZE`, so that a batch can fill.'),
  WORKER_LOCK_DURATION_MS: intEnv(10_000, 1_000).describe("The job lock; stalled jobs are checked every half of it. Another worker takes over a killed worker's job within twice this value."),
  WORKER_SHUTDOWN_TIMEOUT_MS: intEnv(45_000, 1_000).describe('The longest a worker waits for its jobs in flight after SIGTERM; after that it exits 1. Keep it below the grace period before SIGKILL (compose: 60 s).'),
  AI_BASE_URL: outboundUrlEnv().default('https://api.openai.com/v1').describe('Any OpenAI-compatible chat completions API. The worker posts to `{AI_BASE_URL}/chat/completions`.'),
  AI_API_KEY: z.string().min(1).describe('Sent to the AI as `Authorization: Bearer`.'),
  AI_MODEL: z.string().min(1).describe('The `model` field of each AI request.'),
  AI_SYSTEM_PROMPT: z.string().min(1).default(DEFAULT_SYSTEM_PROMPT).describe('The first (system) message of every AI request.'),
  AI_TIMEOUT_MS: intEnv(30_000).describe('The time limit for one AI request. A timeout is retried.'),
  AI_RATE_LIMIT_MAX: intEnv(0, 1).optional().describe('AI requests allowed per `AI_RATE_LIMIT_DURATION_MS`, shared by all worker processes and spaced evenly. Unset: no limit.'),
  AI_RATE_LIMIT_DURATION_MS: intEnv(1_000).describe('The window of `AI_RATE_LIMIT_MAX`, in milliseconds.'),
  BRAZE_REST_ENDPOINT: outboundUrlEnv().describe("Your Braze instance's REST endpoint, e.g. `https://rest.iad-01.braze.com` (all of them: [Braze set-up](braze-setup.md#1-rest-api-key-and-endpoint))."),
  BRAZE_API_KEY: z.string().min(1).describe('A Braze REST API key with the permission `campaigns.trigger.send`, as shown, without quotes.'),
  BRAZE_CAMPAIGN_ID: z.string().min(1).describe('The campaign ID of the API-triggered WhatsApp campaign that sends the replies.'),
  BRAZE_AGENT_CAMPAIGN_ID: z.string().min(1).optional()
    .describe('API-triggered campaign for agents\' replies and the handoff text; default BRAZE_CAMPAIGN_ID.'),
  BRAZE_TEMPLATE_CAMPAIGN_ID: z.string().min(1).optional()
    .describe('API-triggered campaign with an approved WhatsApp template, for replies that would leave after the 24-hour window closed. Unset: such replies fail with OUTSIDE_WHATSAPP_WINDOW.'),
  WHATSAPP_WINDOW_MARGIN_MINUTES: intEnv(30, 0).pipe(z.number().max(23 * 60, 'must be less than 23 hours'))
    .describe('The window counts as closed this long before WhatsApp\'s 24 hours after the customer\'s last message.'),
  BRAZE_TRIGGER_PROPERTY: z.string().regex(/^[A-Za-z0-9_]+$/, 'may contain letters, digits and _ only').default('external_system_msg_body').describe("The trigger property that carries the reply: letters, digits and `_`. The campaign's message must render this exact name."),
  BRAZE_TIMEOUT_MS: intEnv(10_000).describe('The time limit for one Braze request.'),
  BRAZE_BATCH_SIZE: intEnv(50).pipe(z.number().max(50, 'must be at most 50 (Braze takes 50 recipients per request)')).describe('The most replies sent in one `/campaigns/trigger/send` request (Braze takes up to 50 recipients). `1` sends every reply on its own.'),
  BRAZE_BATCH_WAIT_MS: intEnv(20, 0).describe('How long the first reply of a batch waits for others before the request goes out.'),
  BRAZE_SYNC_PROFILE: boolEnv(false)
    .describe('Write bridge_* custom attributes, the flows\' set_attributes and events to the Braze profile (POST /users/track; the API key then needs users.track).'),
  BRAZE_TRACK_BATCH_SIZE: intEnv(75).pipe(z.number().max(75, 'must be at most 75 (Braze takes 75 objects per /users/track request)'))
    .describe('Attribute and event objects per /users/track request: 75, or 50 on Braze\'s newer MAU package.'),
  BRAZE_TRACK_RATE_LIMIT_PER_MINUTE: intEnv(0, 1).optional()
    .describe('/users/track requests per clock minute, for all workers together; unset = no limit of our own (Braze\'s 429s are still obeyed).'),
  AI_RATE_LIMIT_TOKEN_FLOOR: intEnv(1_000, 0).describe("When the AI provider reports no request left, or fewer tokens than this, every worker stops starting AI calls until the provider's reset time."),
  HISTORY_MAX_TURNS: intEnv(10, 0).describe('How many earlier user/assistant turns the AI sees. `0` turns history off.'),
  HISTORY_TTL_SECONDS: intEnv(86_400).describe("A conversation's history is forgotten this long after its last reply."),
  FALLBACK_MESSAGE: z.string().max(4096).default(DEFAULT_FALLBACK_MESSAGE)
    .describe('Sent when the AI cannot answer (it kept failing, refused without text, or answered nothing). Set it empty (FALLBACK_MESSAGE=) to send nothing.'),
  SILENT_KEYWORDS: z.string().default(DEFAULT_SILENT_KEYWORDS)
    .describe('Comma-separated whole-message words the bot never answers (opt-out and opt-in words Braze handles itself; English, Portuguese and Spanish by default). Setting it replaces the list.'),
  ORDER_GAP_GRACE_MS: intEnv(15_000).describe('How long a conversation waits for a message whose place was taken but whose job never got stored.'),
  METRICS_QUEUE_DEPTH: boolEnv(true).describe('Whether `/metrics` exports `bridge_queue_jobs`, the jobs per queue and state, counted on each scrape.'),
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
  AI_TOOLS: boolEnv(false)
    .describe('Let the AI call tools: handoff_to_agent (with LIVE_AGENTS=true), set_user_attributes, log_event, start_flow; an `ai` route\'s `tools` picks which. The AI server must support OpenAI tool calling (vLLM: --enable-auto-tool-choice).'),
  AI_MAX_TOOL_ROUNDS: intEnv(3).pipe(z.number().max(10, 'must be at most 10'))
    .describe('Tool-calling answers per AI turn; after that the AI is asked for text with tool_choice "none".'),
  BRAZE_WRITABLE_ATTRIBUTES: BrazeNames('attribute')
    .describe('Comma-separated custom attributes the AI may write with set_user_attributes (strings up to 255 characters, numbers, booleans). Needs BRAZE_SYNC_PROFILE=true. Empty: the tool is not offered.'),
  BRAZE_LOGGABLE_EVENTS: BrazeNames('event')
    .describe('Comma-separated custom events the AI may log with log_event. Needs BRAZE_SYNC_PROFILE=true. Empty: the tool is not offered.'),
  REPLY_MAX_CHARS: intEnv(WHATSAPP_TEXT_LIMIT, 100).pipe(z.number().max(WHATSAPP_TEXT_LIMIT, `must be at most ${WHATSAPP_TEXT_LIMIT} (WhatsApp's text limit)`))
    .describe('Longest AI reply text in one WhatsApp message; longer answers are split at paragraphs or sentences.'),
  REPLY_MAX_PARTS: intEnv(3).pipe(z.number().max(10, 'must be at most 10'))
    .describe('Messages one AI answer may be split into; what does not fit is cut at a sentence, with an ellipsis.'),
  AI_TRANSCRIBE: boolEnv(false)
    .describe('Transcribe voice notes and other audio (POST /audio/transcriptions) and answer the transcript as the message text.'),
  AI_TRANSCRIBE_MODEL: z.string().min(1).default('whisper-1')
    .describe('Transcription model, e.g. whisper-1, gpt-4o-mini-transcribe, or the Whisper model a vLLM server serves.'),
  AI_TRANSCRIBE_BASE_URL: outboundUrlEnv().optional()
    .describe('OpenAI-compatible server for transcriptions; default AI_BASE_URL (set it when the chat server has no /audio/transcriptions, as Ollama).'),
  AI_TRANSCRIBE_API_KEY: z.string().min(1).optional()
    .describe('Bearer key for AI_TRANSCRIBE_BASE_URL; default AI_API_KEY.'),
  AI_VISION: boolEnv(false)
    .describe('Show the customer\'s images to the AI (downloaded, sent as image_url content parts); the model must accept images.'),
  MEDIA_MAX_BYTES: intEnv(16 * 1024 * 1024, 1024)
    .describe('Largest media file downloaded for transcription or vision; a larger one is described to the AI instead.'),
  MEDIA_TIMEOUT_MS: intEnv(15_000)
    .describe('One media download, from the connection to the last byte.'),
  MEDIA_ALLOW_PRIVATE: boolEnv(false)
    .describe('Allow media from http:// and from private, loopback and link-local addresses (for tests and local stand-ins only).'),
  COALESCE_WINDOW_MS: intEnv(0, 0)
    .describe('Messages from one user that arrive within this many ms of each other are answered in one AI turn (one reply); 0 = off. Each message waits this long before it is answered.'),
  COALESCE_MAX_MS: intEnv(10_000, 0)
    .describe('Longest a burst may last, from its first message: a reply never waits longer than this plus COALESCE_WINDOW_MS.'),
  ALLOW_INSECURE_HTTP: allowInsecureHttpEnv(),
}).superRefine((env, ctx) => {
  httpsUnlessAllowed(['AI_BASE_URL', 'BRAZE_REST_ENDPOINT', 'AGENT_WEBHOOK_URL'])(env, ctx);
  if (env.AGENT_WEBHOOK_URL && !env.AGENT_WEBHOOK_SECRET) ctx.addIssue({ code: 'custom', path: ['AGENT_WEBHOOK_SECRET'], message: 'is required when AGENT_WEBHOOK_URL is set' });
  for (const name of ['BRAZE_WRITABLE_ATTRIBUTES', 'BRAZE_LOGGABLE_EVENTS'] as const) {
    if (env.AI_TOOLS && env[name].length && !env.BRAZE_SYNC_PROFILE) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'needs BRAZE_SYNC_PROFILE=true (the AI\'s writes go to Braze through the profile-sync queue)' });
    }
  }
  if (env.COALESCE_WINDOW_MS > 0 && env.COALESCE_MAX_MS < env.COALESCE_WINDOW_MS) {
    ctx.addIssue({ code: 'custom', path: ['COALESCE_MAX_MS'], message: 'must be at least COALESCE_WINDOW_MS' });
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

/** The tools an `ai` route offers must be switched on and configured: a start-up error names the route. */
function checkRouteTools(file: ConversationFile, e: z.infer<typeof WorkerEnv>): void {
  const needs: Record<string, string | undefined> = {
    handoff_to_agent: e.LIVE_AGENTS ? undefined : 'LIVE_AGENTS=true (people who answer handed-off conversations)',
    set_user_attributes: e.BRAZE_WRITABLE_ATTRIBUTES.length ? undefined : 'BRAZE_WRITABLE_ATTRIBUTES (the attributes the AI may write)',
    log_event: e.BRAZE_LOGGABLE_EVENTS.length ? undefined : 'BRAZE_LOGGABLE_EVENTS (the events the AI may log)',
  };
  for (const route of file.routes) {
    if (route.action !== 'ai' || !route.tools?.length) continue;
    if (!e.AI_TOOLS) throw new ConfigError(`CONVERSATION_FILE: route "${route.name}" field tools needs AI_TOOLS=true`);
    const missing = route.tools.find((t) => needs[t]);
    if (missing) throw new ConfigError(`CONVERSATION_FILE: route "${route.name}" field tools offers ${missing}, which needs ${needs[missing]}`);
  }
}

export function loadConfig(env: Env) {
  const e = parseEnv(WorkerEnv, env, { keepEmpty: ['FALLBACK_MESSAGE'] });
  const conversationFile = conversationFileFrom(e);
  checkRouteTools(conversationFile, e);
  const aiBaseUrl = e.AI_BASE_URL.replace(/\/+$/, '');
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
    conversationFile,
    ai: {
      baseUrl: aiBaseUrl,
      apiKey: e.AI_API_KEY,
      model: e.AI_MODEL,
      systemPrompt: e.AI_SYSTEM_PROMPT,
      timeoutMs: e.AI_TIMEOUT_MS,
      rateLimit: e.AI_RATE_LIMIT_MAX ? evenRateLimit(e.AI_RATE_LIMIT_MAX, e.AI_RATE_LIMIT_DURATION_MS) : undefined,
      tokenFloor: e.AI_RATE_LIMIT_TOKEN_FLOOR,
      tools: e.AI_TOOLS ? { maxRounds: e.AI_MAX_TOOL_ROUNDS, handoff: e.LIVE_AGENTS, writableAttributes: e.BRAZE_WRITABLE_ATTRIBUTES, loggableEvents: e.BRAZE_LOGGABLE_EVENTS } : undefined,
      reply: { maxChars: e.REPLY_MAX_CHARS, maxParts: e.REPLY_MAX_PARTS },
      transcribe: e.AI_TRANSCRIBE
        ? { model: e.AI_TRANSCRIBE_MODEL, baseUrl: (e.AI_TRANSCRIBE_BASE_URL ?? aiBaseUrl).replace(/\/+$/, ''), apiKey: e.AI_TRANSCRIBE_API_KEY ?? e.AI_API_KEY, timeoutMs: e.AI_TIMEOUT_MS }
        : undefined,
      vision: e.AI_VISION,
    },
    media: { maxBytes: e.MEDIA_MAX_BYTES, timeoutMs: e.MEDIA_TIMEOUT_MS, allowPrivate: e.MEDIA_ALLOW_PRIVATE },
    coalesce: e.COALESCE_WINDOW_MS > 0 ? { windowMs: e.COALESCE_WINDOW_MS, maxMs: e.COALESCE_MAX_MS } : undefined,
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
  };
}
export type WorkerConfig = ReturnType<typeof loadConfig>;
