#!/usr/bin/env node
// `pnpm bench`: benchmarks of the built services against baselines measured in the same run.
//
//   node bench/run.mjs            full run (about 5-10 minutes on 2 cores); rewrites the results
//                                 block of BENCHMARKS.md
//   node bench/run.mjs --quick    short smoke version (< 60 s) for CI; writes nothing unless --write
//   --only ingest,pipeline,...    run some scenarios (ingest, pipeline, conversation, toolRound, scaleOut,
//                                 rateLimit, brazeLatency, footprint, retention)
//   --no-write                    never touch BENCHMARKS.md
//
// Benchmarks, not tests: goals are printed, never asserted. The exit code is 0 unless a scenario
// itself crashed. Needs `pnpm build` first (the `bench` script does it) and redis-server on PATH.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, machineInfo } from './lib/env.mjs';
import { markdownTable, textTable } from './lib/format.mjs';
import { LOG_DIR, keepLogDir } from './lib/procs.mjs';
import * as scenarios from './scenarios.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1]).split(',') : undefined;
const write = !args.includes('--no-write') && (!quick || args.includes('--write')) && !only;

const FULL = {
  ingest: { rounds: 3, warmupSeconds: 3, seconds: 10, connections: 32 },
  pipeline: { rounds: 2, n: 5_000, concurrency: 20 },
  conversation: { rounds: 3, n: 3_000, concurrency: 20 },
  toolRound: { rounds: 2, n: 2_000, concurrency: 20, latencies: [0, 50] },
  scaleOut: { n: 400, concurrency: 5, aiLatencyMs: 250 },
  rateLimit: { n: 200, max: 20, durationMs: 1_000, workers: 2, aiLatencyMs: 0 },
  lowLoad: { messages: 20, spacingMs: 200, warmup: 3 },
  footprint: { n: 10_000 },
  retention: { users: 1_000, batches: 5, keep: 1_000 },
};
/** --quick: overrides of FULL, merged per scenario */
const QUICK = {
  ingest: { rounds: 1, warmupSeconds: 1, seconds: 3 },
  pipeline: { rounds: 1, n: 300 },
  conversation: { rounds: 1, n: 300 },
  toolRound: { rounds: 1, n: 200, latencies: [0] },
  scaleOut: { n: 60 },
  rateLimit: { n: 50 },
  lowLoad: { messages: 5, warmup: 1 },
  footprint: { n: 1_000 },
  retention: { users: 200, batches: 3, keep: 100 },
};
const cfg = quick ? Object.fromEntries(Object.entries(FULL).map(([name, c]) => [name, { ...c, ...QUICK[name] }])) : FULL;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const log = (line) => process.stdout.write(`  [${elapsed()}] ${line}\n`);

const machine = machineInfo();
const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
const machineLine = `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGb} GB RAM, ${machine.os}; Node ${machine.node}; Redis ${machine.redis}`;
const sharing = `All processes share these ${machine.cores} cores: the load generator and stand-ins (the bench process), redis-server, and the ingest or worker(s) under test, each in its own process.`;
// why a goal can read NO in a smoke run on a loaded machine without anything being wrong
const quickCaveat = `Indicative only: the load generator, Redis and the services share ${machine.cores} cores, each round lasts seconds (one round, no median), and other processes on the machine take CPU too, so a goal may read NO on a busy machine. Compare figures from \`pnpm bench\` on a quiet machine.`;
process.stdout.write(`Braze WhatsApp AI Bridge: benchmarks${quick ? ' (--quick smoke run, figures are indicative only)' : ''}\n`);
if (quick) process.stdout.write(`${quickCaveat}\n`);
process.stdout.write(`Machine: ${machineLine}\n${sharing}\nLoad average at start: ${load}${os.loadavg()[0] > 0.5 ? '  (something else is running: figures will be noisy)' : ''}\n`);
process.stdout.write(`Child process logs: ${LOG_DIR} (removed at the end unless a scenario fails)\n\n`);

const PLAN = [
  ['ingest', 'Ingest throughput and latency'],
  ['pipeline', 'Pipeline throughput'],
  ['conversation', 'Pipeline throughput with a conversation file'],
  ['toolRound', 'Pipeline throughput with an AI tool round'],
  ['scaleOut', 'Scale-out'],
  ['rateLimit', 'Rate limit'],
  ['brazeLatency', 'Braze efficiency at low load'],
  ['footprint', 'Footprint'],
  ['retention', 'Retention'],
];

const rows = [];
const details = [];
const failures = [];
let footprintResults;
for (const [name, title] of PLAN) {
  if (only && !only.includes(name)) continue;
  process.stdout.write(`${title}\n`);
  try {
    const result = await scenarios[name](cfg, log, footprintResults);
    if (name === 'footprint') footprintResults = result.results;
    rows.push(...result.rows);
    details.push(...result.details);
  } catch (err) {
    failures.push(name);
    log(`FAILED: ${err.stack ?? err}`);
    rows.push({ figure: `${title}: the scenario failed`, ours: String(err.message).split('\n')[0].slice(0, 60), baseline: '', ratio: '', goal: '', met: '—' });
  }
}

const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const command = `pnpm bench${quick ? ':smoke' : ''}`;
process.stdout.write(`\nResults (${command}, ${date}, ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
process.stdout.write(`Machine: ${machineLine}; load average at start ${load}\n\n`);
process.stdout.write(`${textTable(rows)}\n\n`);
process.stdout.write('ratio = ours / baseline. "ours" is the built services; "baseline" is bench/baselines (minimal Express+queue.add ingest, minimal BullMQ worker) unless the row says otherwise.\n\n');
for (const d of details) process.stdout.write(`- ${d}\n`);
if (quick) process.stdout.write(`\n${quickCaveat}\n`);

if (write) {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const START = '<!-- bench:results:start -->';
  const END = '<!-- bench:results:end -->';
  const block = [
    START,
    `Command: \`${command}\` — run ${date}, ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    '',
    `Machine: ${machineLine}. Load average at start: ${load}.`,
    sharing,
    '',
    markdownTable(rows),
    '',
    'ratio = ours / baseline. "ours" is the built services; "baseline" is `bench/baselines` (minimal Express + `queue.add` ingest, minimal BullMQ worker doing the AI call then the Braze call) unless the row says otherwise.',
    '',
    ...details.map((d) => `- ${d}`),
    END,
  ].join('\n');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const next = existing.includes(START) && existing.includes(END)
    ? existing.replace(new RegExp(`${START}[\\s\\S]*?${END}`), () => block)
    : `# Benchmarks\n\n\`pnpm bench\` builds the services and measures them against baselines in the same run (\`bench/run.mjs\`).\n\n## Latest results\n\n${block}\n`;
  fs.writeFileSync(file, next);
  process.stdout.write(`\nWrote the results to ${path.relative(process.cwd(), file) || file}\n`);
}
if (failures.length) {
  keepLogDir();
  process.stdout.write(`\nScenarios that crashed: ${failures.join(', ')} (child process logs kept in ${LOG_DIR})\n`);
}
process.exit(failures.length ? 1 : 0);
