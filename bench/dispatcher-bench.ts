import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Dispatcher } from '../src/dispatcher/dispatcher.js';
import { silentLogger } from '../src/logger.js';
import { summarize, tinyJobs } from './stats.js';
import type { PolicyName } from '../src/scheduler/policies/index.js';

/**
 * End-to-end throughput of the embedded default (memory store + local worker
 * pool) through the in-process SDK: submit N tiny jobs in batches, measure
 * until every result is stored. Latency per job = result completed_at minus
 * the submit time of its batch (ms resolution, fine at this scale). Then the
 * lone-job round trip: submit one job, wait for its result, repeated.
 */
export async function benchInProcess(opts: { jobs?: number; batch?: number; lone?: number; threads?: number; store?: 'memory' | 'sqlite'; policy?: PolicyName } = {}) {
  const total = opts.jobs ?? 100_000;
  const batch = opts.batch ?? 10_000;
  const dir = await mkdtemp(join(tmpdir(), 'pfs-bench-'));
  const d = await Dispatcher.create({ dataDir: dir, storeKind: opts.store ?? 'memory', logger: silentLogger, ...(opts.threads === undefined ? {} : { threads: opts.threads }), ...(opts.policy === undefined ? {} : { policy: opts.policy }) });
  try {
    // warm-up: JIT and worker start-up are not what we measure
    await runBatches(d, tinyJobs(20_000, 'warm'), batch);
    const jobs = tinyJobs(total, 'run');
    const submittedAt = new Map<number, number>();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const wall0 = Date.now();
    for (let i = 0; i < jobs.length; i += batch) {
      submittedAt.set(i, Date.now());
      await d.submitJobs(jobs.slice(i, i + batch));
    }
    await untilDrained(d);
    const seconds = (performance.now() - t0) / 1000;
    // this process's CPU per job, all its threads (dispatcher, store threads, pool)
    const cpu = process.cpuUsage(cpu0);
    const cpuUsPerJob = (cpu.user + cpu.system) / total;
    const latencies: number[] = [];
    for (let i = 0; i < jobs.length; i += 97) {
      const r = await d.getResult(jobs[i]!.job_id);
      if (r?.status !== 'succeeded') throw new Error(`job ${jobs[i]!.job_id} did not succeed: ${JSON.stringify(r)}`);
      latencies.push(Date.parse(r.completed_at) - (submittedAt.get(i - (i % batch)) ?? wall0));
    }
    const lone = [];
    for (let i = 0; i < (opts.lone ?? 2000); i++) {
      const s = performance.now();
      const { job_id } = await d.submitJob({ program: { op: 'counteq', imm: 42, data: 'KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=' } });
      await d.getResult(job_id, { wait: 10 });
      lone.push(performance.now() - s);
    }
    return { jobs: total, seconds, jobsPerSec: total / seconds, cpuUsPerJob, batchLatencyMs: summarize(latencies), loneLatencyMs: summarize(lone) };
  } finally {
    await d.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runBatches(d: Dispatcher, jobs: unknown[], batch: number): Promise<void> {
  for (let i = 0; i < jobs.length; i += batch) await d.submitJobs(jobs.slice(i, i + batch));
  await untilDrained(d);
}

export async function untilDrained(d: Dispatcher): Promise<void> {
  for (;;) {
    const depth = await d.store.depth();
    if (depth.queued + depth.delayed + depth.running === 0) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}
