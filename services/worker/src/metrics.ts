import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import type { RedisClient } from '@bridge/shared';

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface MetricsSources {
  queues: Queue[];
  withQueueDepth: boolean;
  /** the waiting-for-an-agent index, counted on scrape */
  agentsWaiting?: { redis: RedisClient; key: string };
}

export function createWorkerMetrics(registry: Registry, sources: MetricsSources) {
  const registers = [registry];
  const metrics = {
    jobs: new Counter({ name: 'bridge_jobs_total', help: 'Jobs processed, by queue and outcome (completed, retry, failed)', labelNames: ['queue', 'outcome'] as const, registers }),
    jobSeconds: new Histogram({ name: 'bridge_job_duration_seconds', help: 'Processing time of one job attempt', labelNames: ['queue'] as const, buckets: LATENCY_BUCKETS, registers }),
    upstreamSeconds: new Histogram({ name: 'bridge_upstream_request_seconds', help: 'AI and Braze request latency, by upstream and status', labelNames: ['upstream', 'status'] as const, buckets: LATENCY_BUCKETS, registers }),
    rateLimitPauses: new Counter({ name: 'bridge_rate_limit_pauses_total', help: 'Times a queue was held for every worker because an upstream rate limit ran out (429 or its headers)', labelNames: ['queue'] as const, registers }),
    brazeRemaining: new Gauge({ name: 'bridge_braze_ratelimit_remaining', help: 'Requests left in the Braze workspace REST pool (X-RateLimit-Remaining of the last answer)', registers }),
    brazeRecipients: new Histogram({ name: 'bridge_braze_recipients_per_request', help: 'Replies carried by one /campaigns/trigger/send request', buckets: [1, 2, 5, 10, 20, 30, 40, 50], registers }),
    profileObjects: new Histogram({ name: 'bridge_braze_track_objects_per_request', help: 'Attribute and event objects carried by one /users/track request', buckets: [1, 2, 5, 10, 25, 50, 75], registers }),
    aiTokens: new Counter({ name: 'bridge_ai_tokens_total', help: 'AI tokens used, from the response usage', labelNames: ['kind'] as const, registers }),
    aiUnusable: new Counter({ name: 'bridge_ai_unusable_answers_total', help: 'AI answers without text to send (AI_REFUSED, AI_EMPTY, AI_TRUNCATED: cut by the token limit before a sentence ended); the refusal text or FALLBACK_MESSAGE went out instead', labelNames: ['reason'] as const, registers }),
    aiToolCalls: new Counter({ name: 'bridge_ai_tool_calls_total', help: 'AI tool calls, by tool and result (ok, unknown_tool, bad_arguments, not_allowed, conflict; capped: the AI still called tools after AI_MAX_TOOL_ROUNDS)', labelNames: ['tool', 'result'] as const, registers }),
    repliesFitted: new Counter({ name: 'bridge_ai_replies_fitted_total', help: 'AI answers made to fit WhatsApp: cut_at_length (finish_reason length, ended at the last sentence), split (several messages), cut_too_long (more than REPLY_MAX_PARTS messages)', labelNames: ['how'] as const, registers }),
    media: new Counter({ name: 'bridge_media_total', help: 'Customer media looked at for the AI, by kind and result (transcribed, shown, described, download_failed, transcription_failed)', labelNames: ['kind', 'result'] as const, registers }),
    coalesced: new Counter({ name: 'bridge_coalesced_messages_total', help: 'Messages answered together with an earlier one of the same burst (COALESCE_WINDOW_MS), by result (answered; dropped: an opt-out word or a handoff later in the burst won)', labelNames: ['result'] as const, registers }),
    windowClosed: new Counter({ name: 'bridge_whatsapp_window_closed_total', help: 'Replies not sent because the 24-hour WhatsApp window had closed and no template campaign is set, by kind (bot, agent)', labelNames: ['kind'] as const, registers }),
    templateReplies: new Counter({ name: 'bridge_template_replies_total', help: 'Replies sent through BRAZE_TEMPLATE_CAMPAIGN_ID because the 24-hour window had closed', labelNames: ['kind'] as const, registers }),
    botRepliesDropped: new Counter({ name: 'bridge_bot_replies_dropped_total', help: 'Bot replies not sent because a person took the conversation over after they were decided (shown to the agent as drafts)', registers }),
    handoffs: new Counter({ name: 'bridge_handoffs_total', help: 'Handoffs to live agents started and ended, by reason', labelNames: ['event', 'reason'] as const, registers }),
    firstAgentReplySeconds: new Histogram({ name: 'bridge_agent_first_reply_seconds', help: 'Time from a handoff to the first agent reply Braze accepted', buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600], registers }),
  };
  if (sources.withQueueDepth) {
    new Gauge({
      name: 'bridge_queue_jobs',
      help: 'Jobs in each queue, by state',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        for (const queue of sources.queues) {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
          for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
        }
      },
    });
  }
  const waiting = sources.agentsWaiting;
  if (waiting) {
    new Gauge({
      name: 'bridge_agent_conversations_waiting',
      help: 'Conversations handed off to live agents right now',
      registers,
      async collect() {
        this.set(await waiting.redis.zcard(waiting.key));
      },
    });
  }
  return metrics;
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
