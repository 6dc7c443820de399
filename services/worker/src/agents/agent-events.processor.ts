import type { Job, Queue } from 'bullmq';
import { AgentEventJob, JOB, conversationKeys, luaScript, type AgentEvent, type RedisClient } from '@bridge/shared';
import type { ConversationOrder } from '../domain/conversation-order';
import type { WorkerMetrics } from '../metrics';
import { parseJobData, type FinalFailureHandler } from '../processors/job-edge';
import type { AgentEventSink } from './webhook-sink';

/**
 * Gives a delivery the fan-out's own number in the sink's lane. A lane numbered afresh (its event
 * lane started again at 1 after a quiet period) resets its pointer. KEYS: jobs, next. ARGV: seq, entry, ttl.
 */
const PLACE = luaScript(`
local fresh = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if fresh == 1 and ARGV[1] == '1' then redis.call('DEL', KEYS[2]) end
return fresh
`);

export interface AgentEventsDeps {
  sinks: AgentEventSink[];
  order: ConversationOrder;
  queue: Queue;
  redis: RedisClient;
  prefix: string;
  ttlSeconds: number;
  /** deliveries retry with backoff this many times: a receiver may be down for a while */
  attempts: number;
  metrics: WorkerMetrics;
  clock: () => number;
}

/**
 * agent-events: `agent-event` jobs are a conversation's events in order (lane ev); each becomes one
 * `deliver-event` job per sink in that sink's lane, so a sink that is down delays only its own
 * deliveries, in order, and never a reply. Handoff metrics are counted here, where every event passes.
 */
export function createAgentEventsProcessor(deps: AgentEventsDeps) {
  function count(event: AgentEvent) {
    const reason = String(event.data.reason ?? 'unknown').slice(0, 64);
    if (event.type === 'handoff.started') deps.metrics.handoffs.inc({ event: 'started', reason });
    if (event.type === 'handoff.ended') deps.metrics.handoffs.inc({ event: 'ended', reason });
  }

  async function fanOut(job: Job, data: AgentEventJob) {
    count(data.event);
    for (const sink of deps.sinks) {
      const lane = `ev:${sink.name}` as const;
      const keys = conversationKeys(deps.prefix, data.conversation.id).lane(lane);
      const jobId = `${job.id}-${sink.name}`;
      await PLACE(deps.redis, [keys.jobs, keys.next], [data.conversation.seq, `${jobId}|${deps.clock()}`, deps.ttlSeconds]);
      const delivery: AgentEventJob = { ...data, conversation: { ...data.conversation, lane }, sink: sink.name };
      await deps.queue.add(JOB.deliverEvent, delivery, { jobId, attempts: deps.attempts });
    }
    return { event: data.event.type, sinks: deps.sinks.length };
  }

  const process = async (job: Job, token?: string) => {
    const data = parseJobData(AgentEventJob, job.data);
    await deps.order.waitForTurn(job, token, data.conversation);
    let result: unknown;
    if (job.name === JOB.deliverEvent) {
      const sink = deps.sinks.find((s) => s.name === data.sink);
      if (sink) await sink.deliver(data.event);
      result = { event: data.event.type, sink: data.sink, delivered: Boolean(sink) };
    } else {
      result = await fanOut(job, data);
    }
    await deps.order.advance(data.conversation);
    return result;
  };

  const onFinalFailure: FinalFailureHandler = async (job) => {
    const data = AgentEventJob.safeParse(job.data);
    if (data.success) await deps.order.advance(data.data.conversation);
  };
  return { process, onFinalFailure };
}
