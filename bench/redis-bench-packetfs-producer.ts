/**
 * PacketFS side of the Redis benchmark, producer process: validates the same
 * tiny jobs as a user's submit would (normalizeJobs) and stores them with
 * RedisJobStore.enqueue in chunks of CHUNK, one chunk at a time — the store
 * call behind POST /v1/jobs, and the counterpart of BullMQ's Queue.addBulk.
 * Reports the epoch ms of its first enqueue.
 *   argv: redis url, jobs, chunk
 */
import { normalizeJobs } from '../src/job/index.js';
import { RedisJobStore } from '../src/store/redis/redis-store.js';
import { report, TINY_DATA, TINY_IMM } from './redis-bench-jobs.js';

const [url, jobsArg, chunkArg] = process.argv.slice(2);
const jobs = Number(jobsArg);
const chunk = Number(chunkArg);
const store = await RedisJobStore.connect(url!, { ingress: false });
const firstAddAt = Date.now();
for (let i = 0; i < jobs; i += chunk) {
  const n = Math.min(chunk, jobs - i);
  await store.enqueue(normalizeJobs(Array.from({ length: n }, (_, j) => ({ job_id: `b-${i + j}`, program: { op: 'counteq', imm: TINY_IMM, data: TINY_DATA } }))));
}
report({ firstAddAt, addedAt: Date.now() });
await store.close();
