import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Queue } from 'bullmq';

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createWorkerMetrics(registry: Registry, queues: Queue[], withQueueDepth: boolean) {
  const registers = [registry];
  const metrics = {
    jobs: new Counter({ name: 'bridge_jobs_total', help: 'Jobs processed, by queue and outcome (completed, retry, failed)', labelNames: ['queue', 'outcome'] as const, registers }),
    jobSeconds: new Histogram({ name: 'bridge_job_duration_seconds', help: 'Processing time of one job attempt', labelNames: ['queue'] as const, buckets: LATENCY_BUCKETS, registers }),
    upstreamSeconds: new Histogram({ name: 'bridge_upstream_request_seconds', help: 'AI and Braze request latency, by upstream and status', labelNames: ['upstream', 'status'] as const, buckets: LATENCY_BUCKETS, registers }),
    rateLimitPauses: new Counter({ name: 'bridge_rate_limit_pauses_total', help: 'Times a queue was held for every worker because an upstream rate limit ran out (429 or its headers)', labelNames: ['queue'] as const, registers }),
    brazeRemaining: new Gauge({ name: 'bridge_braze_ratelimit_remaining', help: 'Requests left in the Braze workspace REST pool (X-RateLimit-Remaining of the last answer)', registers }),
    brazeRecipients: new Histogram({ name: 'bridge_braze_recipients_per_request', help: 'Replies carried by one /campaigns/trigger/send request', buckets: [1, 2, 5, 10, 20, 30, 40, 50], registers }),
    aiTokens: new Counter({ name: 'bridge_ai_tokens_total', help: 'AI tokens used, from the response usage', labelNames: ['kind'] as const, registers }),
  };
  if (withQueueDepth) {
    new Gauge({
      name: 'bridge_queue_jobs',
      help: 'Jobs in each queue, by state',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        for (const queue of queues) {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
          for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
        }
      },
    });
  }
  return metrics;
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
