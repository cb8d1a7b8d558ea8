import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { summarize, tinyJobs } from './stats.js';
import { processCpuMs, startServeProcess } from './serve-process.js';

/**
 * End-to-end throughput over HTTP: a `packetfs serve` child process (memory
 * store, local pool) and this process as the client, POSTing batches of
 * 10,000 tiny jobs with a few requests in flight, until /metrics counts every
 * job as finished. Then the lone-job round trip over HTTP (POST + GET
 * result?wait). Both processes share the machine's 2 cores, as a real
 * client on the same host would.
 */
export async function benchHttp(opts: { jobs?: number; batch?: number; concurrency?: number; lone?: number; store?: 'memory' | 'sqlite' } = {}) {
  const total = opts.jobs ?? 100_000;
  const batch = opts.batch ?? 10_000;
  const dir = await mkdtemp(join(tmpdir(), 'pfs-http-bench-'));
  const serve = await startServeProcess(dir, ['--store', opts.store ?? 'memory']);
  const base = serve.url;
  try {
    await postAll(base, tinyJobs(20_000, 'warm'), batch, opts.concurrency ?? 2);
    await untilFinished(base, 20_000);
    const jobs = tinyJobs(total, 'run');
    const pid = serve.child.pid as number;
    const cpu0 = await processCpuMs(pid);
    const t0 = performance.now();
    await postAll(base, jobs, batch, opts.concurrency ?? 2);
    await untilFinished(base, 20_000 + total);
    const seconds = (performance.now() - t0) / 1000;
    // the serve process's CPU per job, all its threads: less sensitive to a busy machine than jobs/s
    const cpuUsPerJob = (await processCpuMs(pid) - cpu0) * 1000 / total;
    const lone: number[] = [];
    for (let i = 0; i < (opts.lone ?? 500); i++) {
      const s = performance.now();
      const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tinyJobs(1, `lone-${i}`)[0]) });
      const { job_id } = (await res.json()) as { job_id: string };
      const r = await fetch(`${base}/v1/jobs/${job_id}/result?wait=10`);
      if (r.status !== 200) throw new Error(`lone job ${job_id}: HTTP ${r.status}`);
      await r.json();
      lone.push(performance.now() - s);
    }
    return { jobs: total, seconds, jobsPerSec: total / seconds, cpuUsPerJob, loneLatencyMs: summarize(lone) };
  } finally {
    await serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function postAll(base: string, jobs: unknown[], batch: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const start = next;
      next += batch;
      const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobs: jobs.slice(start, start + batch) }) });
      if (res.status !== 202) throw new Error(`batch submit: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function untilFinished(base: string, expected: number): Promise<void> {
  for (;;) {
    const text = await (await fetch(`${base}/metrics`)).text();
    let done = 0;
    for (const m of text.matchAll(/^packetfs_jobs_total\{[^}]*\} (\d+)$/gm)) done += Number(m[1]);
    if (done >= expected) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}
