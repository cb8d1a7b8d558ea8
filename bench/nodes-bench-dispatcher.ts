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
const dispatcher = await Dispatcher.create({ dataDir, logger: silentLogger, batchSize: 4096, local: false });
const server = await startServer(dispatcher, { host: '127.0.0.1', port: 0 });
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
process.send!({ type: 'listening', url: server.url });

interface Run { type: 'run'; jobs: number; chunk: number; window: number }

process.on('message', (msg: Run | { type: 'rss' } | { type: 'stop' }) => {
  if (msg.type === 'rss') process.send!({ type: 'rss', rss: process.memoryUsage().rss, nodes: dispatcher.nodes!.connectionCount });
  else if (msg.type === 'run') void run(msg).then((r) => process.send!({ type: 'done', ...r }));
  else void stop();
});

async function run(opts: Run): Promise<{ seconds: number; latencies: Float64Array; failed: number; peakRss: number }> {
  const all = tinyJobs(opts.jobs, 'n').map((j) => ({ ...j, substrates: ['volunteer'] }));
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
