import path from 'node:path';
// The benchmark scenarios. Each returns { rows, details }: rows for the results table, details
// (one line each) for what stands behind them. Nothing here asserts: goals are only reported.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { PREFIX, ROOT, median, percentile, poll, sleep } from './lib/env.mjs';
import { QUEUES, backlogRun, completedCounts } from './lib/backlog.mjs';
import * as f from './lib/format.mjs';
import { hammer, postWebhook, preload, userIdOf, webhookBody } from './lib/load.mjs';
import { cpuOf, startIngest, startRedis } from './lib/procs.mjs';
import { withStack } from './lib/stack.mjs';

/** Preload answers other than 202 (each was sent again, as Braze would), for the log line. */
const oddAnswers = (r) => {
  const odd = Object.entries(r.preloadStatuses ?? {}).filter(([status]) => status !== '202');
  return odd.length ? `  (preload answers other than 202, retried: ${odd.map(([k, v]) => `${k}×${v}`).join(', ')})` : '';
};

// ---------------------------------------------------------------------------------------------
/** Ingest: webhooks/s and latency under autocannon, ours against the minimal durable ingest. */
export async function ingest(cfg, log) {
  const { rounds, warmupSeconds, seconds, connections } = cfg.ingest;
  const runs = { bare: [], minimal: [], ours: [] };
  const order = ['bare', ...Array.from({ length: rounds }, () => ['minimal', 'ours']).flat()];
  for (const kind of order) {
    const redis = kind === 'bare' ? undefined : await startRedis();
    const target = await startIngest(kind, redis?.url);
    try {
      await hammer(target.url, { seconds: warmupSeconds, connections, tag: 'warm' });
      const cpu0 = [cpuOf(target.pid), redis ? cpuOf(redis.pid) : 0, process.cpuUsage()];
      const r = await hammer(target.url, { seconds, connections, tag: kind });
      const gen = process.cpuUsage(cpu0[2]);
      r.cpuMs = { target: ((cpuOf(target.pid) - cpu0[0]) * 1000) / r.ok, redis: redis ? ((cpuOf(redis.pid) - cpu0[1]) * 1000) / r.ok : 0, loadGen: ((gen.user + gen.system) / 1000) / r.ok };
      r.rate = r.rps;
      runs[kind].push(r);
      log(`ingest ${kind.padEnd(7)} ${f.rate(r.rps).padStart(8)}  p50 ${r.p50} ms  p99 ${r.p99} ms  max ${r.max} ms  non-2xx ${r.non2xx}  errors ${r.errors}  CPU/webhook: target ${f.num(r.cpuMs.target, 3)} ms, redis ${f.num(r.cpuMs.redis, 3)} ms, autocannon ${f.num(r.cpuMs.loadGen, 3)} ms`);
    } finally {
      await target.stop(3_000);
      await redis?.stop();
    }
  }
  // rounds alternate minimal, ours: each ratio compares neighbours, and the median ratio is reported
  const med = (kind, pick) => median(runs[kind].map(pick));
  const tp = median(runs.ours.map((r, i) => r.rps / runs.minimal[i].rps));
  const summary = (kind) => ({ rps: med(kind, (r) => r.rps), p50: med(kind, (r) => r.p50), p99: med(kind, (r) => r.p99), cpu: med(kind, (r) => r.cpuMs.target), redis: med(kind, (r) => r.cpuMs.redis) });
  const [ours, minimal] = [summary('ours'), summary('minimal')];
  const bare = runs.bare[0];
  const maxP99 = Math.max(...runs.ours.map((r) => r.p99));
  return {
    rows: [
      { figure: `Ingest webhooks/s (${connections} keep-alive conns)`, ours: f.rate(ours.rps), baseline: f.rate(minimal.rps), ratio: f.ratio(tp, 3), goal: '≥ 0.85×', met: f.met(tp >= 0.85) },
      { figure: 'Ingest latency p50 / p99 at saturation', ours: `${ours.p50} / ${ours.p99} ms`, baseline: `${minimal.p50} / ${minimal.p99} ms`, ratio: f.ratio(ours.p99 / minimal.p99), goal: 'p99 < 25 ms (every round)', met: f.met(maxP99 < 25) },
      { figure: 'Ingest CPU per webhook (ingest process)', ours: `${f.num(ours.cpu, 3)} ms`, baseline: `${f.num(minimal.cpu, 3)} ms`, ratio: f.ratio(ours.cpu / minimal.cpu), goal: '—', met: '—' },
      { figure: 'Bare Express 202, no Redis (for scale)', ours: f.rate(ours.rps), baseline: f.rate(bare.rps), ratio: f.ratio(ours.rps / bare.rps), goal: '—', met: '—' },
    ],
    details: [
      `ingest: ${rounds} round(s) of ${seconds} s after ${warmupSeconds} s warm-up, alternating minimal and ours, each target alone with a fresh redis-server; figures are medians over rounds, the ratio is the median of each round's ours/minimal`,
      `ingest rounds: ours ${runs.ours.map((r) => f.int(r.rps)).join(', ')}/s; minimal ${runs.minimal.map((r) => f.int(r.rps)).join(', ')}/s; ratios ${runs.ours.map((r, i) => f.num(r.rps / runs.minimal[i].rps, 2)).join(', ')}; bare ${runs.bare.map((r) => f.int(r.rps)).join(', ')}/s`,
      `ingest p99 by round: ours ${runs.ours.map((r) => r.p99).join(', ')} ms; minimal ${runs.minimal.map((r) => r.p99).join(', ')} ms (autocannon latency has 1 ms resolution)`,
      `ingest CPU per webhook (medians): ours ${f.num(ours.cpu, 3)} ms + redis ${f.num(ours.redis, 3)} ms; minimal ${f.num(minimal.cpu, 3)} ms + redis ${f.num(minimal.redis, 3)} ms; autocannon ${f.num(median(runs.ours.map((r) => r.cpuMs.loadGen)), 3)} ms`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
/** Pipeline: messages/s webhook to Braze with instant stand-ins, ours against the minimal worker. */
export async function pipeline(cfg, log) {
  const { rounds, n, concurrency } = cfg.pipeline;
  const runs = { ours: [], baseline: [] };
  for (let i = 0; i < rounds; i += 1) {
    for (const system of ['baseline', 'ours']) {
      const r = await backlogRun({ system, n, tag: `p${i}`, workerEnv: { WORKER_CONCURRENCY: String(concurrency) } });
      runs[system].push(r);
      log(`pipeline ${system.padEnd(8)} ${f.rate(r.rate).padStart(7)}  ${r.delivered}/${n} delivered in ${f.num(r.seconds, 2)} s  ${r.brazeRequests} Braze requests  duplicates ${r.duplicates}  CPU/msg: worker ${f.num((r.cpu.workers * 1000) / n, 3)} ms, redis ${f.num((r.cpu.redis * 1000) / n, 3)} ms, stand-ins ${f.num((r.cpu.standIns * 1000) / n, 3)} ms${oddAnswers(r)}`);
    }
  }
  // rounds alternate baseline, ours: the median of each round's ratio is reported, with the round nearest to it
  const ratios = runs.ours.map((r, i) => r.rate / runs.baseline[i].rate);
  const x = median(ratios);
  const pick = runs.ours.map((_, i) => i).sort((i, j) => Math.abs(ratios[i] - x) - Math.abs(ratios[j] - x))[0];
  const [ours, base] = [runs.ours[pick], runs.baseline[pick]];
  const [oursRate, baseRate] = [median(runs.ours.map((r) => r.rate)), median(runs.baseline.map((r) => r.rate))];
  const perReq = ours.brazeRecipients / ours.brazeRequests;
  const basePerReq = base.brazeRecipients / base.brazeRequests;
  return {
    rows: [
      { figure: `Pipeline msgs/s webhook→Braze (${f.int(n)} backlog)`, ours: f.rate(oursRate), baseline: f.rate(baseRate), ratio: f.ratio(x, 3), goal: '≥ 0.5×', met: f.met(x >= 0.5 && runs.ours.every((r) => r.done)) },
      { figure: 'Pipeline CPU per message (worker process)', ours: `${f.num((ours.cpu.workers * 1000) / n, 3)} ms`, baseline: `${f.num((base.cpu.workers * 1000) / n, 3)} ms`, ratio: f.ratio(ours.cpu.workers / base.cpu.workers), goal: '—', met: '—' },
      { figure: 'Braze: replies per request under backlog', ours: f.num(perReq, 1), baseline: f.num(basePerReq, 1), ratio: f.ratio(perReq / basePerReq), goal: '—', met: '—' },
    ],
    details: [
      `pipeline: ${f.int(n)} webhooks of distinct users stored through each system's ingest with the queue paused, then one worker process (WORKER_CONCURRENCY=${concurrency} both), timed from the queue's resume to the last reply at the stand-in Braze; rounds alternate baseline and ours, figures are medians, the ratio is the median of each round's ours/baseline`,
      `pipeline rounds: ours ${runs.ours.map((r) => f.int(r.rate)).join(', ')}/s; baseline ${runs.baseline.map((r) => f.int(r.rate)).join(', ')}/s; ratios ${ratios.map((r) => f.num(r, 2)).join(', ')}`,
      `pipeline CPU per message, round ${pick + 1}: ours worker ${f.num((ours.cpu.workers * 1000) / n, 3)} ms + redis ${f.num((ours.cpu.redis * 1000) / n, 3)} ms; baseline worker ${f.num((base.cpu.workers * 1000) / n, 3)} ms + redis ${f.num((base.cpu.redis * 1000) / n, 3)} ms; stand-ins ${f.num((ours.cpu.standIns * 1000) / n, 3)} ms`,
      `pipeline correctness: ours ${ours.delivered}/${n} users answered, ${ours.duplicates} duplicate replies, ${ours.aiCalls} AI calls; ${ours.brazeRequests} Braze requests for ${ours.brazeRecipients} replies`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
/**
 * Conversations: the pipeline with the sample conversation file loaded (its routes are matched before
 * the AI: these messages mention an order, so they take the `orders` route to the AI) and profile sync
 * on, against the same run's plain pipeline (no file, no profile sync). One AI call per message in both.
 */
export async function conversation(cfg, log) {
  const { rounds, n, concurrency } = cfg.conversation;
  const file = path.join(ROOT, 'examples', 'conversation.yaml');
  const envs = {
    plain: { WORKER_CONCURRENCY: String(concurrency) },
    file: { WORKER_CONCURRENCY: String(concurrency), CONVERSATION_FILE: file, BRAZE_SYNC_PROFILE: 'true' },
  };
  const runs = { plain: [], file: [] };
  for (let i = 0; i < rounds; i += 1) {
    for (const kind of ['plain', 'file']) {
      const r = await backlogRun({ system: 'ours', n, tag: `c${i}`, workerEnv: envs[kind] });
      runs[kind].push(r);
      log(`conversation ${kind.padEnd(5)} ${f.rate(r.rate).padStart(7)}  ${r.delivered}/${n} delivered  ${r.aiCalls} AI calls  duplicates ${r.duplicates}  /users/track requests ${r.brazeTracks}  CPU/msg: worker ${f.num((r.cpu.workers * 1000) / n, 3)} ms, redis ${f.num((r.cpu.redis * 1000) / n, 3)} ms${oddAnswers(r)}`);
    }
  }
  const ratios = runs.file.map((r, i) => r.rate / runs.plain[i].rate);
  const x = median(ratios);
  const correct = runs.file.every((r) => r.done && r.duplicates === 0 && r.aiCalls === n && r.brazeTracks > 0);
  return {
    rows: [{ figure: 'Pipeline msgs/s with a conversation file and profile sync', ours: f.rate(median(runs.file.map((r) => r.rate))), baseline: `${f.rate(median(runs.plain.map((r) => r.rate)))} plain`, ratio: f.ratio(x, 3), goal: '≥ 0.8×', met: f.met(correct && x >= 0.8) }],
    details: [
      `conversation: ${f.int(n)} webhooks of distinct users (backlog, one worker, WORKER_CONCURRENCY=${concurrency}); "file" loads examples/conversation.yaml (routes and a flow; these messages take the orders route to the AI) with BRAZE_SYNC_PROFILE=true, "plain" has neither; rounds ${runs.file.map((r, i) => `${f.int(r.rate)}/${f.int(runs.plain[i].rate)}`).join(', ')} msgs/s (file/plain), ratios ${ratios.map((r) => f.num(r, 2)).join(', ')}; /users/track requests ${runs.file.map((r) => r.brazeTracks).join(', ')}`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
/**
 * AI tools: the pipeline with one tool round per message (the AI calls set_user_attributes, reads
 * the result, answers: two AI calls) against the same run's plain pipeline (one AI call), with the
 * AI stand-in's latency the same in both. Profile sync is on in both, so only AI_TOOLS differs.
 */
export async function toolRound(cfg, log) {
  const { rounds, n, concurrency, latencies } = cfg.toolRound;
  const common = { WORKER_CONCURRENCY: String(concurrency), BRAZE_SYNC_PROFILE: 'true', BRAZE_WRITABLE_ATTRIBUTES: 'plan' };
  const rows = [];
  const details = [];
  for (const aiLatencyMs of latencies) {
    const runs = { plain: [], tools: [] };
    for (let i = 0; i < rounds; i += 1) {
      for (const kind of ['plain', 'tools']) {
        const r = await backlogRun({ system: 'ours', n, aiLatencyMs, tag: `t${aiLatencyMs}-${i}`, workerEnv: kind === 'tools' ? { ...common, AI_TOOLS: 'true' } : common });
        runs[kind].push(r);
        log(`tool round, AI ${aiLatencyMs} ms, ${kind.padEnd(5)} ${f.rate(r.rate).padStart(7)}  ${r.delivered}/${n} delivered  ${r.aiCalls} AI calls (${r.toolRounds} tool rounds)  duplicates ${r.duplicates}  /users/track requests ${r.brazeTracks}  CPU/msg: worker ${f.num((r.cpu.workers * 1000) / n, 3)} ms, redis ${f.num((r.cpu.redis * 1000) / n, 3)} ms${oddAnswers(r)}`);
      }
    }
    const ratios = runs.tools.map((r, i) => r.rate / runs.plain[i].rate);
    const x = median(ratios);
    const [tools, plain] = [median(runs.tools.map((r) => r.rate)), median(runs.plain.map((r) => r.rate))];
    const correct = runs.tools.every((r) => r.done && r.duplicates === 0 && r.toolRounds === n && r.aiCalls === 2 * n);
    rows.push({ figure: `Pipeline msgs/s with one tool round per message (AI ${aiLatencyMs} ms)`, ours: f.rate(tools), baseline: `${f.rate(plain)} plain`, ratio: f.ratio(x, 3), goal: '—', met: f.met(correct) });
    details.push(
      `tool round, AI stand-in ${aiLatencyMs} ms in both: ${f.int(n)} webhooks of distinct users (backlog, one worker, WORKER_CONCURRENCY=${concurrency}, BRAZE_SYNC_PROFILE=true in both); with AI_TOOLS=true each message takes two AI calls (tool call, then the answer) and one Redis write of the tool round; rounds ${runs.tools.map((r, i) => `${f.int(r.rate)}/${f.int(runs.plain[i].rate)}`).join(', ')} msgs/s (tools/plain), ratios ${ratios.map((r) => f.num(r, 2)).join(', ')}; the "met" column says every message was answered once after exactly one tool round`,
      `tool round CPU per message, AI ${aiLatencyMs} ms (round 1): tools worker ${f.num((runs.tools[0].cpu.workers * 1000) / n, 3)} ms + redis ${f.num((runs.tools[0].cpu.redis * 1000) / n, 3)} ms; plain worker ${f.num((runs.plain[0].cpu.workers * 1000) / n, 3)} ms + redis ${f.num((runs.plain[0].cpu.redis * 1000) / n, 3)} ms`,
    );
  }
  return { rows, details };
}

// ---------------------------------------------------------------------------------------------
/** Scale-out: three worker processes against one, with a slow (250 ms) AI. */
export async function scaleOut(cfg, log) {
  const { n, concurrency, aiLatencyMs } = cfg.scaleOut;
  const workerEnv = { WORKER_CONCURRENCY: String(concurrency) };
  const one = await backlogRun({ system: 'ours', n, workers: 1, aiLatencyMs, workerEnv, tag: 's1' });
  log(`scale-out 1 worker  ${f.rate(one.rate).padStart(6)}  ${one.delivered}/${n} in ${f.num(one.seconds, 2)} s`);
  const three = await backlogRun({ system: 'ours', n, workers: 3, aiLatencyMs, workerEnv, tag: 's3' });
  log(`scale-out 3 workers ${f.rate(three.rate).padStart(6)}  ${three.delivered}/${n} in ${f.num(three.seconds, 2)} s`);
  const x = three.rate / one.rate;
  const ceiling = (1000 / aiLatencyMs) * concurrency;
  return {
    rows: [
      { figure: `Scale-out: 3 workers vs 1 (AI ${aiLatencyMs} ms)`, ours: f.rate(three.rate), baseline: `${f.rate(one.rate)} (1 worker)`, ratio: f.ratio(x, 3), goal: '≥ 2.4×', met: f.met(x >= 2.4 && one.done && three.done) },
    ],
    details: [
      `scale-out: WORKER_CONCURRENCY=${concurrency}, so one process can have at most ${concurrency} AI calls in flight: ceiling ${f.int(ceiling)}/s per process; ${f.int(n)} messages each run; 1 worker reached ${f.pct(one.rate / ceiling)} of its ceiling, 3 workers ${f.pct(three.rate / (3 * ceiling))} of theirs`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
/**
 * Max events in any sliding window, and per fixed window as BullMQ's limiter opens them: its
 * limiter key is created (INCR, PEXPIRE duration) by the first job moved to active after the
 * previous key expired, so a window opens at such a job and lasts `duration`.
 */
function windowCounts(times, duration) {
  const t = [...times].sort((a, b) => a - b);
  let sliding = 0;
  for (let i = 0, j = 0; i < t.length; i += 1) {
    while (t[i] - t[j] >= duration) j += 1;
    sliding = Math.max(sliding, i - j + 1);
  }
  const windows = [];
  const starts = [];
  for (const x of t) {
    if (!starts.length || x - starts[starts.length - 1] >= duration) { windows.push(0); starts.push(x); }
    windows[windows.length - 1] += 1;
  }
  return { sliding, windows, starts };
}

async function rateLimitRun({ n, max, durationMs, workers, aiLatencyMs }, tag) {
  const r = await backlogRun({
    system: 'ours', n, workers, aiLatencyMs, tag, jobTimes: true,
    workerEnv: { AI_RATE_LIMIT_MAX: String(max), AI_RATE_LIMIT_DURATION_MS: String(durationMs) },
  });
  // BullMQ's windows, from when each job was moved to active (what its limiter counts)
  const bull = windowCounts(r.activeAt, durationMs);
  // what the AI provider saw, in a sliding window of the limit's length
  const seen = windowCounts(r.aiTimes, durationMs);
  // under backlog every window but the last meets full demand: the jobs before the last window over the time they took
  const k = bull.windows.length;
  const achieved = k > 1 ? ((r.activeAt.length - bull.windows[k - 1]) * 1000) / (bull.starts[k - 1] - bull.starts[0]) : NaN;
  const limitPerSecond = (max * 1000) / durationMs;
  return { r, bull, seen, achieved, limitPerSecond, utilisation: achieved / limitPerSecond };
}

export async function rateLimit(cfg, log) {
  const c = cfg.rateLimit;
  // the worker spaces AI_RATE_LIMIT_MAX calls per AI_RATE_LIMIT_DURATION_MS evenly (one per duration/max)
  const { r, seen, achieved, limitPerSecond, utilisation } = await rateLimitRun(c, 'rl');
  const perWindow = c.max;
  log(`rate limit ${c.max}/${c.durationMs} ms, ${c.workers} workers: ${r.aiCalls} AI calls for ${c.n} messages, ${f.num(achieved, 1)}/s; at most ${seen.sliding} in a sliding ${c.durationMs} ms at the AI`);
  return {
    rows: [
      { figure: `AI calls in any sliding ${c.durationMs} ms (limit ${c.max}, ${c.workers} workers)`, ours: String(seen.sliding), baseline: `limit ${perWindow}`, ratio: f.ratio(seen.sliding / perWindow), goal: `≤ ${perWindow}`, met: f.met(seen.sliding <= perWindow && r.aiCalls === c.n) },
      { figure: 'AI limit used under backlog', ours: `${f.num(achieved, 1)}/s`, baseline: `${f.num(limitPerSecond, 0)}/s`, ratio: f.pct(utilisation), goal: '≥ 90 %', met: f.met(utilisation >= 0.9 && r.done) },
    ],
    details: [
      `rate limit: ${f.int(c.n)} messages of distinct users, ${c.workers} worker processes, AI stand-in ${c.aiLatencyMs} ms, ${r.aiCalls} AI calls; AI_RATE_LIMIT_MAX=${c.max} per ${c.durationMs} ms becomes BullMQ's limiter max 1 per ${Math.ceil(c.durationMs / c.max)} ms (calls spaced evenly), so no sliding ${c.durationMs} ms can hold more than ${c.max}: the AI saw at most ${seen.sliding}; used ${f.num(achieved, 1)}/s of ${f.num(limitPerSecond, 0)}/s`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
/** Webhook→Braze latency of single messages at low load (batching waits for company here). */
async function lowLoad(system, cfg, workerEnv = {}) {
  const { messages, spacingMs, warmup } = cfg.lowLoad;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return withStack({}, async ({ up, spawnIngest, spawnWorker }) => {
    const ingestProc = await spawnIngest(system);
    await spawnWorker(system, workerEnv);
    const send = async (tag, count) => {
      const sent = [];
      const acks = [];
      up.reset();
      for (let i = 0; i < count; i += 1) {
        const t = performance.now();
        await postWebhook(ingestProc.url, webhookBody(tag, i), agent);
        acks.push(performance.now() - t);
        sent.push(t);
        await sleep(spacingMs);
      }
      const done = await up.waitForRecipients(count, 30_000);
      const latencies = sent.map((t, i) => (up.braze.arrivals.get(userIdOf(tag, i)) ?? NaN) - t);
      return { done, latencies, acks, perRequest: up.braze.recipients / up.braze.requests };
    };
    await send('warm', warmup);
    return await send('low', messages);
  }).finally(() => agent.destroy());
}

export async function brazeLatency(cfg, log) {
  const ours = await lowLoad('ours', cfg);
  const base = await lowLoad('baseline', cfg);
  const noWait = await lowLoad('ours', cfg, { BRAZE_BATCH_WAIT_MS: '0' });
  const p = (r, q) => percentile(r.latencies, q);
  for (const [name, r] of [['ours', ours], ['baseline', base], ['ours, BRAZE_BATCH_WAIT_MS=0', noWait]]) {
    log(`low load ${name.padEnd(8)} webhook→Braze p50 ${f.ms(p(r, 50))}  p95 ${f.ms(p(r, 95))}  max ${f.ms(p(r, 100))}  (webhook ack p50 ${f.ms(percentile(r.acks, 50))})`);
  }
  const added = p(ours, 50) - p(base, 50);
  return {
    rows: [
      { figure: `Braze: webhook→Braze p50 at low load (1 msg / ${cfg.lowLoad.spacingMs} ms)`, ours: `${f.ms(p(ours, 50))} (+${f.ms(added)})`, baseline: f.ms(p(base, 50)), ratio: f.ratio(p(ours, 50) / p(base, 50)), goal: '—', met: '—' },
    ],
    details: [
      `low load: ${cfg.lowLoad.messages} messages ${cfg.lowLoad.spacingMs} ms apart after ${cfg.lowLoad.warmup} warm-up, instant stand-ins; webhook→Braze p50 / p95 / max: ours ${[50, 95, 100].map((q) => f.num(p(ours, q), 1)).join(' / ')} ms (replies per Braze request ${f.num(ours.perRequest, 2)}); baseline ${[50, 95, 100].map((q) => f.num(p(base, q), 1)).join(' / ')} ms; ours with BRAZE_BATCH_WAIT_MS=0 ${[50, 95, 100].map((q) => f.num(p(noWait, q), 1)).join(' / ')} ms: the batch wait accounts for ${f.ms(p(ours, 50) - p(noWait, 50))} of the ${f.ms(added)} added`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
/** Footprint: worker RSS while it works through a backlog, and Redis bytes per stored message. */
export async function footprint(cfg, log) {
  const { n } = cfg.footprint;
  const results = {};
  for (const system of ['ours', 'baseline']) {
    const r = await backlogRun({ system, n, tag: 'f', sampleMemory: true, timeoutMs: 300_000 });
    results[system] = r;
    log(`footprint ${system.padEnd(8)} RSS at start ${f.mb(r.rssAtStart[0])}, peak ${f.mb(r.rss[0].sampledPeak)} (VmHWM ${f.mb(r.rss[0].hwm)}); Redis ${f.int(r.bytesPerMessage)} B per queued message; ${f.rate(r.rate)} through a ${f.int(n)} backlog; completed kept ${JSON.stringify(r.completed)}${oddAnswers(r)}`);
  }
  const { ours, baseline } = results;
  const peak = (r) => Math.max(r.rss[0].sampledPeak, r.rss[0].hwm);
  return {
    results,
    rows: [
      { figure: `Worker RSS, peak through a ${f.int(n)} backlog`, ours: f.mb(peak(ours)), baseline: f.mb(peak(baseline)), ratio: f.ratio(peak(ours) / peak(baseline)), goal: '< 200 MB', met: f.met(peak(ours) < 200 * 1024 ** 2 && ours.done) },
      { figure: 'Redis bytes per queued message (100-char text)', ours: f.bytes(ours.bytesPerMessage), baseline: f.bytes(baseline.bytesPerMessage), ratio: f.ratio(ours.bytesPerMessage / baseline.bytesPerMessage), goal: '< 2 KiB (2,048 B)', met: f.met(ours.bytesPerMessage < 2048) },
    ],
    details: [
      `footprint: ${f.int(n)} webhooks of distinct users stored through the ingest with the queue paused (Redis used_memory delta / n, includes each new user's conversation keys), then one worker (WORKER_CONCURRENCY default) drained it: ours ${f.rate(ours.rate)}, baseline ${f.rate(baseline.rate)}; RSS sampled every 200 ms and VmHWM`,
      `footprint: completed jobs left after the ${f.int(n)} backlog: ours ${JSON.stringify(ours.completed)}, baseline ${JSON.stringify(baseline.completed)} (the minimal worker keeps every completed job, BullMQ's default)`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
const QUEUE_STRUCTURES = new Set(['wait', 'paused', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'meta', 'id', 'stalled', 'stalled-check', 'marker', 'limiter', 'pc', 'waiting-children', 'repeat']);

function classify(key) {
  const conv = new RegExp(`^${PREFIX}:conv:\\{[^}]+\\}:([a-z]+)`).exec(key);
  if (conv) {
    return { seq: 'conversation order', next: 'conversation order', jobs: 'conversation order', history: 'conversation history', reply: 'reply cache', sent: 'sent markers', dedupe: 'dedupe' }[conv[1]] ?? `conversation ${conv[1]}`;
  }
  const q = new RegExp(`^${PREFIX}:(reply-generate|reply-send):(.+)$`).exec(key);
  if (q) {
    if (q[2] === 'events') return 'queue events streams';
    if (QUEUE_STRUCTURES.has(q[2]) || q[2].startsWith('de:')) return 'queue structures';
    return 'job hashes';
  }
  return 'other';
}

/** Kinds of key written once per message (the rest are per queue or per user). */
const PER_MESSAGE_KINDS = ['reply cache', 'sent markers', 'dedupe'];

/** Redis keys, MEMORY USAGE bytes and the longest TTL (seconds, Infinity without one) by kind. */
async function keyBreakdown(client) {
  const classes = {};
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipe = client.pipeline();
    for (const k of keys) pipe.memory('USAGE', k, 'SAMPLES', '0').pttl(k);
    const answers = await pipe.exec();
    keys.forEach((k, i) => {
      const c = (classes[classify(k)] ??= { keys: 0, bytes: 0, ttl: 0 });
      c.keys += 1;
      c.bytes += Number(answers[2 * i][1] ?? 0);
      const pttl = Number(answers[2 * i + 1][1]);
      c.ttl = Math.max(c.ttl, pttl === -1 ? Infinity : Math.ceil(pttl / 1000));
    });
  } while (cursor !== '0');
  return classes;
}

/** Retention: the same users write again and again; completed jobs stay bounded, and memory? */
export async function retention(cfg, log, footprintResults) {
  const { users, batches, keep } = cfg.retention;
  const env = { JOB_KEEP_COMPLETED: String(keep) };
  return withStack({ queueNames: QUEUES }, async ({ redis, up, queues, spawnIngest, spawnWorker }) => {
    const ingestProc = await spawnIngest('ours', env);
    await spawnWorker('ours', env);
    const series = [];
    for (let b = 0; b < batches; b += 1) {
      up.reset();
      await preload(ingestProc.url, users, (u) => webhookBody('r', u, b * users + u));
      const done = await up.waitForRecipients(users, 120_000);
      await poll(async () => {
        for (const q of queues) {
          const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
          if (Object.values(c).some((x) => x > 0)) return false;
        }
        return true;
      }, 30_000, 100);
      await sleep(200);
      const entry = {
        messages: (b + 1) * users, done, memory: await redis.usedMemory(), completed: await completedCounts(redis), keys: await keyBreakdown(redis.client),
        events: await Promise.all(QUEUES.map((q) => redis.client.xlen(`${PREFIX}:${q}:events`))),
      };
      series.push(entry);
      log(`retention after ${f.int(entry.messages)} messages: used_memory ${f.mb(entry.memory)} (${f.int(entry.memory)} B), completed kept ${JSON.stringify(entry.completed)}`);
    }
    // measured once the bounded structures are full: the completed sets (JOB_KEEP_COMPLETED) from
    // the first batch on, BullMQ's events streams (about 10,000 entries each) after a few thousand jobs
    const from = series[Math.floor(batches / 2)];
    const last = series[series.length - 1];
    const perMessage = (a, z) => (z - a) / (last.messages - from.messages);
    const growth = perMessage(from.memory, last.memory);
    const kinds = [...new Set([...Object.keys(from.keys), ...Object.keys(last.keys)])];
    const byKind = kinds
      .map((k) => ({ kind: k, perMessage: perMessage(from.keys[k]?.bytes ?? 0, last.keys[k]?.bytes ?? 0), keys: last.keys[k]?.keys ?? 0, bytes: last.keys[k]?.bytes ?? 0 }))
      .sort((a, b) => b.perMessage - a.perMessage);
    const sumOf = (pred) => byKind.filter((k) => pred(k)).reduce((sum, k) => sum + k.perMessage, 0);
    const queueGrowth = sumOf((k) => ['job hashes', 'queue structures'].includes(k.kind));
    const perMessageKinds = byKind.filter((k) => PER_MESSAGE_KINDS.includes(k.kind));
    // per-message keys that outlive a day keep memory growing past a day of traffic
    const ttlOf = (k) => last.keys[k.kind]?.ttl ?? 0;
    const beyondDay = sumOf((k) => PER_MESSAGE_KINDS.includes(k.kind) && ttlOf(k) > 86_400);
    // what per-message keys add up to once their TTLs have run, at 100,000 messages a day
    const plateau = perMessageKinds.reduce((sum, k) => sum + k.perMessage * 100_000 * (ttlOf(k) / 86_400), 0);
    const maxCompleted = Math.max(...Object.values(last.completed));
    const baselineCompleted = footprintResults?.baseline?.completed?.['reply-generate'];
    const span = `msgs ${f.int(from.messages)}→${f.int(last.messages)}`;
    const ttlText = (k) => (ttlOf(k) === Infinity ? 'no TTL' : `TTL ${f.duration(ttlOf(k))}`);
    return {
      rows: [
        { figure: `Completed jobs kept per queue after ${f.int(last.messages)} msgs`, ours: `${f.int(maxCompleted)}`, baseline: baselineCompleted === undefined ? '—' : `${f.int(baselineCompleted)} (keeps all)`, ratio: '—', goal: `≤ JOB_KEEP_COMPLETED (${f.int(keep)})`, met: f.met(maxCompleted <= keep) },
        { figure: `Redis growth per message, BullMQ jobs and sets (${span})`, ours: f.bytes(queueGrowth), baseline: '—', ratio: '—', goal: '≈ 0 (flat)', met: f.met(Math.abs(queueGrowth) < 50) },
        { figure: 'Redis growth per message, per-message keys living > 1 day', ours: f.bytes(beyondDay), baseline: '—', ratio: '—', goal: '≈ 0 (flat over a day)', met: f.met(Math.abs(beyondDay) < 50) },
        { figure: 'Per-message keys once their TTLs ran, 100k msgs/day', ours: f.mb(plateau), baseline: '—', ratio: '—', goal: '—', met: '—' },
      ],
      details: [
        `retention: ${f.int(users)} users each sending ${batches} messages (one per batch, each batch answered before the next), JOB_KEEP_COMPLETED=${keep}; Redis used_memory after each batch: ${series.map((x) => f.int(x.memory)).join(', ')} B`,
        `retention: growth per message over ${span} by kind of key (B/msg; keys, bytes and longest TTL at the end): ${byKind.map((k) => `${k.kind} ${f.num(k.perMessage, 0)} (${f.int(k.keys)} keys, ${f.int(k.bytes)} B, ${ttlText(k)})`).join('; ')}`,
        `retention: BullMQ's events streams hold ${last.events.map(f.int).join(' and ')} entries at the end (capped at about 10,000 each by BullMQ: bounded, ${f.mb(last.keys['queue events streams']?.bytes)} together here)`,
        `retention: all keys together grew ${f.int(growth)} B per message over ${span}; conversation history and order keys are per user (history up to HISTORY_MAX_TURNS, these users had ${batches} turns each) and are not counted in the rows above`,
        `retention: per-message keys (${perMessageKinds.map((k) => `${k.kind} ${f.num(k.perMessage, 0)} B, ${ttlText(k)}`).join('; ')}) level off at ${f.mb(plateau)} at 100,000 messages a day once their TTLs have run`,
      ],
    };
  });
}
