import type { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { readState } from '../conversation/conversation-state';
import { Recipient } from '../queues/jobs';
import { bridgeKeys, conversationIdFor, conversationKeys } from '../queues/conversation-keys';
import type { RedisClient } from '../redis/create-redis';

/**
 * What another part of the bridge (a connector) keeps about a conversation outside its
 * `<prefix>:conv:{<id>}:*` keys. prepare() runs before anything is removed, so it can still read
 * the conversation's keys; it names global keys to remove and, optionally, the jobs that are the
 * conversations' by the connector's own ids.
 */
export interface ErasureHook {
  prepare(conversationIds: string[]): Promise<{ keys: string[]; ownsJob?: (data: unknown) => boolean }>;
}

export interface ErasureDeps {
  redis: RedisClient;
  prefix: string;
  /** every queue of the bridge: their jobs of every state are looked at */
  queues: Queue[];
  hooks?: ErasureHook[];
  /** how long to wait for the person's running jobs to finish before the second pass */
  activeWaitMs?: number;
}

export interface ErasureReport {
  /** Redis keys removed, and the entry in the list of handed-off conversations */
  keys: number;
  /** jobs removed, by queue */
  jobs: Record<string, number>;
  /** jobs of the person still running after the wait, by queue: repeat the erasure once they finish */
  active: Record<string, number>;
}

/** Job states, active last: the ones that can be removed go first. */
const JOB_STATES = ['waiting', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed', 'active'] as const;
/** a chain of running jobs (a turn, its reply, its events) is followed this many passes at most */
const MAX_PASSES = 5;
const PAGE = 500;
const ACTIVE_POLL_MS = 200;

const byExternalId = (id: string) => conversationIdFor({ external_user_id: id });
const byBrazeId = (id: string) => conversationIdFor({ braze_id: id });
/** how the ingest addresses an unknown number with UNKNOWN_SENDER_RECIPIENT=user_alias */
const byPhone = (phone: string) => conversationIdFor({ user_alias: { alias_label: 'phone', alias_name: phone } });

/** Redis glob specials (and the braces of hash tags) matched literally. */
const globLiteral = (text: string) => text.replace(/[*?[\]\\{}^]/g, (c) => `\\${c}`);

/** The conversations a job's data names: its own, its recipient's, and those of the braze id and phone it carries. */
function conversationsOfJob(data: unknown): { conversations: string[]; brazeIds: string[] } {
  if (!data || typeof data !== 'object') return { conversations: [], brazeIds: [] };
  const d = data as { conversation?: { id?: unknown }; recipient?: unknown; brazeId?: unknown; contact?: { phone?: unknown } };
  const conversations: string[] = [];
  const brazeIds: string[] = [];
  if (typeof d.conversation?.id === 'string') conversations.push(d.conversation.id);
  const recipient = Recipient.safeParse(d.recipient);
  if (recipient.success) {
    conversations.push(conversationIdFor(recipient.data));
    if ('braze_id' in recipient.data) brazeIds.push(recipient.data.braze_id);
  }
  if (typeof d.brazeId === 'string') {
    conversations.push(byBrazeId(d.brazeId));
    brazeIds.push(d.brazeId);
  }
  if (typeof d.contact?.phone === 'string') conversations.push(byPhone(d.contact.phone));
  return { conversations, brazeIds };
}

interface JobRef {
  queue: Queue;
  id: string;
  conversations: string[];
  brazeIds: string[];
  /** running when listed: it may have written keys and added jobs since */
  wasActive: boolean;
  /** kept only for hooks that look at it */
  data?: unknown;
}

/**
 * Erases one person: every conversation of theirs (the id read as an external id, a braze_id or a
 * phone alias, and the conversations their states and jobs link to it: the braze_id of a user known
 * by external id, the phone they wrote from), with its history, state, order, outcomes, dedupe and
 * limit keys; their braze_id index and handed-off entry; what hooks name; and their jobs in every
 * queue and state. A running job cannot be removed safely (its worker holds the lock): the erasure
 * waits for it, then goes over everything again, since it may have written keys and added jobs
 * meanwhile; what still runs after activeWaitMs is reported. Safe to repeat: a second call finds nothing.
 */
export function createPersonEraser({ redis, prefix, queues, hooks = [], activeWaitMs = 10_000 }: ErasureDeps) {
  const global = bridgeKeys(prefix);

  async function listJobs(): Promise<JobRef[]> {
    const refs: JobRef[] = [];
    for (const queue of queues) {
      // the running ones first: a job that finishes while the rest are listed is then known to have run
      const active = await queue.getRanges(['active'], 0, -1);
      const rest = await queue.getRanges(JOB_STATES.filter((s) => s !== 'active'), 0, -1, true);
      const ids = [...new Set([...active, ...rest])];
      for (let i = 0; i < ids.length; i += PAGE) {
        const page = ids.slice(i, i + PAGE);
        const pipe = redis.pipeline();
        for (const id of page) pipe.hget(queue.toKey(id), 'data');
        const answers = (await pipe.exec()) ?? [];
        page.forEach((id, j) => {
          const raw = answers[j]?.[1];
          if (typeof raw !== 'string') return;
          let data: unknown;
          try { data = JSON.parse(raw); } catch { return; }
          refs.push({ queue, id, wasActive: active.includes(id), ...conversationsOfJob(data), ...(hooks.length ? { data } : {}) });
        });
      }
    }
    return refs;
  }

  /** The person's conversations and braze ids, followed through states, the braze_id index and jobs until nothing new turns up. */
  async function closure(seed: Set<string>, brazeIds: Set<string>, jobs: JobRef[]): Promise<void> {
    const pending = [...seed];
    const add = (conversationId: string) => {
      if (seed.has(conversationId)) return;
      seed.add(conversationId);
      pending.push(conversationId);
    };
    let indexesRead = 0;
    while (pending.length || indexesRead < brazeIds.size) {
      while (pending.length) {
        const state = readState(await redis.hgetall(conversationKeys(prefix, pending.pop()!).state));
        const links = conversationsOfJob({ recipient: state.recipient, brazeId: state.brazeId, contact: state.contact });
        for (const b of links.brazeIds) brazeIds.add(b);
        links.conversations.forEach(add);
      }
      indexesRead = brazeIds.size;
      for (const brazeId of [...brazeIds]) {
        const indexed = await redis.get(global.brazeIdIndex(brazeId));
        if (indexed) add(indexed);
      }
      for (const job of jobs) {
        if (!job.conversations.some((c) => seed.has(c))) continue;
        for (const b of job.brazeIds) brazeIds.add(b);
        job.conversations.forEach(add);
      }
    }
  }

  /** Keys matching a pattern on every node that holds keys (each master of a cluster). */
  async function scanKeys(pattern: string): Promise<string[]> {
    const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
    const found: string[] = [];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        found.push(...keys);
      } while (cursor !== '0');
    }
    return found;
  }

  async function removeKeys(conversations: Set<string>, brazeIds: Set<string>, hookKeys: string[]): Promise<number> {
    let removed = 0;
    for (const id of conversations) {
      // one conversation's keys share a hash slot: one UNLINK may take them together, even on a cluster
      const keys = await scanKeys(`${globLiteral(prefix)}:conv:\\{${globLiteral(id)}\\}:*`);
      for (let i = 0; i < keys.length; i += PAGE) removed += await redis.unlink(...keys.slice(i, i + PAGE));
      removed += await redis.zrem(global.agentsWaiting, id);
    }
    for (const brazeId of brazeIds) removed += await redis.unlink(global.brazeIdIndex(brazeId));
    for (const key of hookKeys) removed += await redis.unlink(key);
    return removed;
  }

  async function pass(id: string, seed: Set<string>): Promise<{ keys: number; jobs: Record<string, number>; running: JobRef[]; active: JobRef[] }> {
    const brazeIds = new Set([id]);
    const jobs = await listJobs();
    await closure(seed, brazeIds, jobs);
    const prepared = await Promise.all(hooks.map((h) => h.prepare([...seed])));
    const owned = (job: JobRef) => job.conversations.some((c) => seed.has(c)) || prepared.some((p) => p.ownsJob?.(job.data));
    const removed: Record<string, number> = {};
    const active: JobRef[] = [];
    const mine = jobs.filter(owned);
    for (const job of mine) {
      if (await job.queue.remove(job.id)) removed[job.queue.name] = (removed[job.queue.name] ?? 0) + 1;
      else active.push(job);
    }
    const keys = await removeKeys(seed, brazeIds, prepared.flatMap((p) => p.keys));
    return { keys, jobs: removed, running: mine.filter((j) => j.wasActive), active };
  }

  /** Until the jobs have left the active state, or the deadline. */
  async function settled(jobs: JobRef[], until: number): Promise<void> {
    for (;;) {
      const states = await Promise.all(jobs.map((j) => j.queue.getJobState(j.id)));
      if (!states.includes('active') || Date.now() >= until) return;
      await new Promise((resolve) => setTimeout(resolve, ACTIVE_POLL_MS));
    }
  }

  return async function erasePerson(id: string): Promise<ErasureReport> {
    const seed = new Set([byExternalId(id), byBrazeId(id), byPhone(id)]);
    const until = Date.now() + activeWaitMs;
    const report: ErasureReport = { keys: 0, jobs: {}, active: {} };
    for (let n = 1; ; n++) {
      const result = await pass(id, seed);
      report.keys += result.keys;
      for (const [queue, count] of Object.entries(result.jobs)) report.jobs[queue] = (report.jobs[queue] ?? 0) + count;
      // a job that ran during the pass may have written keys or added jobs after they were looked at: another pass
      const running = [...result.running, ...result.active];
      if (running.length === 0) return report;
      if (n === MAX_PASSES || Date.now() >= until) {
        for (const job of result.active) report.active[job.queue.name] = (report.active[job.queue.name] ?? 0) + 1;
        return report;
      }
      await settled(running, until);
    }
  };
}
export type ErasePerson = ReturnType<typeof createPersonEraser>;
