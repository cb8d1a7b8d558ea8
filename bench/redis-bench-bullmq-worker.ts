/**
 * BullMQ side of the Redis benchmark, worker process: a Worker with the given
 * concurrency computes counteq for real (the same kernel as PacketFS) and
 * returns it. Reports "ready", then, after JOBS completions, the last
 * completion time and per-job latency (finishedOn − timestamp, both BullMQ's
 * own stamps, epoch ms) p50/p99.
 *   argv: redis url, queue name, jobs, concurrency
 */
import { Worker } from 'bullmq';
import { counteq } from '../src/ops/index.js';
import { summarize } from './stats.js';
import { report, TINY_COUNT } from './redis-bench-jobs.js';

const [url, name, jobsArg, concurrencyArg] = process.argv.slice(2);
const { hostname, port } = new URL(url!);
const jobs = Number(jobsArg);
const latencies: number[] = [];
let lastFinishedOn = 0;
let wrong = 0;

const worker = new Worker(name!, async (job) => {
  const { imm, data } = job.data as { imm: number; data: string };
  return counteq(Buffer.from(data, 'base64'), imm);
}, { connection: { host: hostname, port: Number(port) }, concurrency: Number(concurrencyArg), removeOnComplete: { count: 1000 } });

worker.on('completed', (job, value) => {
  if (value !== TINY_COUNT) wrong++;
  const finishedOn = job.finishedOn ?? Date.now();
  latencies.push(finishedOn - job.timestamp);
  if (finishedOn > lastFinishedOn) lastFinishedOn = finishedOn;
  if (latencies.length === jobs) {
    report({ lastFinishedOn, wrong, latencyMs: summarize(latencies) });
    void worker.close().then(() => process.exit(0));
  }
});
await worker.waitUntilReady();
report({ ready: true });
