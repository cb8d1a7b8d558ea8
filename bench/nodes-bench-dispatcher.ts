import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../src/dispatcher/dispatcher.js';
import { silentLogger } from '../src/logger.js';
import { startServer } from '../src/server/server.js';
import { tinyJobs } from './stats.js';

/**
 * The dispatcher side of the node scale benchmark (forked by nodes-bench.ts):
 * a dispatcher with its HTTP/WS server on 127.0.0.1. On {run}, it submits
 * jobs pinned to `volunteer` in chunks, keeping `window` chunks outstanding,
 * and measures each job from submit to stored result in process.
 */
const dataDir = await mkdtemp(join(tmpdir(), 'packetfs-nodes-bench-'));
// argv: verify mode for the jobs (auto | quorum | none)
const verify = (process.argv[2] ?? 'auto') as 'auto' | 'quorum' | 'none';
// One local thread: the arbiter that checks node results (jobs are pinned to volunteers, so it computes nothing else).
const dispatcher = await Dispatcher.create({ dataDir, logger: silentLogger, batchSize: 4096, threads: 1, allowUnverified: verify === 'none' });
const server = await startServer(dispatcher, { host: '127.0.0.1', port: 0 });
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
process.send!({ type: 'listening', url: server.url });

interface Run { type: 'run'; jobs: number; chunk: number; window: number; warmup: boolean }

process.on('message', (msg: Run | { type: 'rss' } | { type: 'stop' }) => {
  if (msg.type === 'rss') process.send!({ type: 'rss', rss: process.memoryUsage().rss, nodes: dispatcher.nodes!.connectionCount });
  else if (msg.type === 'run') void measured(msg).then((r) => process.send!({ type: 'done', ...r }));
  else void stop();
});

/**
 * With `warmup`, jobs run first until every connected node has earned trust
 * (its probation checks done), so the measured run sees the steady state of
 * a pool of known nodes. Verification counters are read around the measured
 * run only; every stored result is compared with the right answer.
 */
async function measured(opts: Run) {
  let warmupJobs = 0;
  if (opts.warmup) {
    for (let round = 0; round < 100 && dispatcher.nodes!.views().some((n) => n.state === 'probation'); round++) {
      await run({ ...opts, jobs: 20_000 }, `w${round}`);
      warmupJobs += 20_000;
    }
  }
  const before = dispatcher.nodeService!.verificationStats();
  const reruns = dispatcher.nodes!.speculativeReruns;
  const r = await run(opts, 'n');
  const after = dispatcher.nodeService!.verificationStats();
  // corrections of results a caught node had slipped in land in the background
  let wrong = await countWrong(opts.jobs);
  for (let i = 0; i < 40 && wrong > 0; i++) {
    await new Promise((res) => setTimeout(res, 250));
    wrong = await countWrong(opts.jobs);
  }
  const states = dispatcher.nodes!.views().map((n) => n.state);
  return {
    ...r, warmupJobs, wrong,
    executions: (after.nodeExecutions - before.nodeExecutions) + (after.arbiterExecutions - before.arbiterExecutions),
    accepted: after.accepted - before.accepted,
    convicted: after.convicted - before.convicted,
    corrected: after.corrected - before.corrected,
    trustedNodes: states.filter((s) => s === 'trusted').length,
    speculativeReruns: dispatcher.nodes!.speculativeReruns - reruns,
  };
}

async function countWrong(jobs: number): Promise<number> {
  let wrong = 0;
  for (let i = 0; i < jobs; i++) {
    const record = await dispatcher.store.getResult(`n-${i}`);
    if (record?.status === 'succeeded' && JSON.stringify(record.result) !== EXPECTED) wrong++;
  }
  return wrong;
}

const EXPECTED = JSON.stringify({ count: 64, bytes: 64 });

async function run(opts: Run, prefix: string): Promise<{ seconds: number; latencies: Float64Array; failed: number; peakRss: number }> {
  const all = tinyJobs(opts.jobs, prefix).map((j) => ({ ...j, substrates: ['volunteer'], ...(verify === 'auto' ? {} : { verify }) }));
  const latencies = new Float64Array(opts.jobs);
  let failed = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < all.length) {
      const start = next;
      const batch = all.slice(start, start + opts.chunk);
      next += batch.length;
      const submittedAt = performance.now();
      await dispatcher.submitJobs(batch);
      await Promise.all(batch.map((job, k) => dispatcher.store.waitForResult(job.job_id, 120_000).then((r) => {
        latencies[start + k] = performance.now() - submittedAt;
        if (r?.status !== 'succeeded') failed++;
      })));
    }
  };
  await Promise.all(Array.from({ length: opts.window }, worker));
  const seconds = (performance.now() - t0) / 1000;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return { seconds, latencies, failed, peakRss };
}

async function stop(): Promise<void> {
  clearInterval(sampler);
  await server.close();
  await dispatcher.close();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
}
