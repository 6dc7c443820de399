import { DelayedError, type Job, type Queue } from 'bullmq';
import { GenerateReplyJob, conversationKeys, type RedisClient } from '@bridge/shared';

export interface CoalesceSettings {
  /** COALESCE_WINDOW_MS: a message within this long of the one before joins its burst */
  windowMs: number;
  /** COALESCE_MAX_MS: a burst lasts at most this long from its first message */
  maxMs: number;
}

export interface CoalesceDeps extends CoalesceSettings {
  redis: RedisClient;
  prefix: string;
  generateQueue: Queue;
  clock: () => number;
}

export interface BurstMember {
  jobId: string;
  data: GenerateReplyJob;
}

/** Where a burst stands when its first message's turn comes. */
export type Gathered = { wait: number } | { members: BurstMember[] };

/** A lane's jobs hash entry: "<job id>|<ms the ingest received it>" (or "void"). */
function parseEntry(entry: string | undefined): { jobId: string; at: number } | undefined {
  if (!entry || entry === 'void') return undefined;
  const [jobId, at] = entry.split('|') as [string, string];
  return { jobId, at: Number(at) };
}

/**
 * Bursts: WhatsApp users send several short messages in a row. The first message of a burst
 * (its turn has come) looks at the conversation's later inbound messages already stored, in order,
 * each within the window of the one before and all within the cap of the first. While one more
 * could still join (the window after the last has not passed, the cap not reached), the burst
 * waits (`wait`: the first message's job is parked until then). Then the members are read; the
 * caller checks each (an opt-out word or a handoff ends the burst) and answers them in one turn.
 * Order holds: members are later turns of the same lane, which cannot start before this one passes.
 */
export function createCoalescer(deps: CoalesceDeps) {
  return {
    async gather(jobId: string, data: GenerateReplyJob): Promise<Gathered> {
      const lane = conversationKeys(deps.prefix, data.conversation.id).lane('in');
      const entries = await deps.redis.hgetall(lane.jobs);
      const later: Array<{ jobId: string; at: number }> = [];
      let last = data.receivedAt;
      for (let seq = data.conversation.seq + 1; ; seq++) {
        const entry = parseEntry(entries[String(seq)]);
        if (!entry || entry.jobId === jobId || entry.at - last > deps.windowMs || entry.at - data.receivedAt > deps.maxMs) break;
        later.push(entry);
        last = entry.at;
      }
      const until = Math.min(last + deps.windowMs, data.receivedAt + deps.maxMs);
      const now = deps.clock();
      if (now < until) return { wait: until - now };
      const members: BurstMember[] = [];
      for (const entry of later) {
        const job = await deps.generateQueue.getJob(entry.jobId);
        const parsed = GenerateReplyJob.safeParse(job?.data);
        // not stored (yet), or unreadable: the burst ends before it, and it gets a turn of its own
        if (!parsed.success || parsed.data.conversation.id !== data.conversation.id) break;
        members.push({ jobId: entry.jobId, data: parsed.data });
      }
      return { members };
    },

    /** Parks the first message's job until the burst may be complete (no attempt is used). */
    async park(job: Job, token: string | undefined, waitMs: number): Promise<never> {
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    },
  };
}
export type Coalescer = ReturnType<typeof createCoalescer>;
