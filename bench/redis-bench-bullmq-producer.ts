/**
 * BullMQ side of the Redis benchmark, producer process: adds JOBS tiny jobs
 * with Queue.addBulk in chunks of CHUNK, one chunk at a time, and reports the
 * epoch ms of its first add.
 *   argv: redis url, queue name, jobs, chunk
 */
import { Queue } from 'bullmq';
import { report, TINY_DATA, TINY_IMM } from './redis-bench-jobs.js';

const [url, name, jobsArg, chunkArg] = process.argv.slice(2);
const { hostname, port } = new URL(url!);
const queue = new Queue(name!, { connection: { host: hostname, port: Number(port) } });
await queue.waitUntilReady();
const jobs = Number(jobsArg);
const chunk = Number(chunkArg);
const firstAddAt = Date.now();
for (let i = 0; i < jobs; i += chunk) {
  const n = Math.min(chunk, jobs - i);
  await queue.addBulk(Array.from({ length: n }, () => ({ name: 'counteq', data: { imm: TINY_IMM, data: TINY_DATA } })));
}
report({ firstAddAt, addedAt: Date.now() });
await queue.close();
