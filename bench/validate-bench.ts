import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { normalizeJobs } from '../src/job/index.js';
import { summarize } from './stats.js';
import { startServeProcess } from './serve-process.js';

/**
 * The cost of validating a job batch, alone and behind HTTP.
 *
 * validate: `normalizeJobs` over a parsed 10,000-job batch of mixed shapes
 * (shorthand, op lists with aliases, blobs, data_url, metadata, split), best
 * and median of 40 runs; `JSON.parse` of the same body in the same run is the
 * floor every submit pays anyway.
 * submit: POST of one 10,000-job body to a `packetfs serve` child (memory
 * store) until its 202 — parse, validate and enqueue — 20 times in a row.
 * baseline: with VALIDATE_BASELINE=<another build's dist/src/job/index.js>
 * (e.g. the commit before the schemas), that build's normalizeJobs runs
 * interleaved with this one's on the same parsed batches, in this process,
 * so the two are compared under the same load.
 */
export async function benchValidate(opts: { batch?: number; runs?: number; posts?: number } = {}) {
  const n = opts.batch ?? 10_000;
  const body = JSON.stringify({ jobs: mixedJobs(n, 'v') });
  const runs = opts.runs ?? 40;
  const parse: number[] = [];
  const validate: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const t = performance.now();
    const parsed = JSON.parse(body) as { jobs: unknown[] };
    const parsedAt = performance.now();
    normalizeJobs(parsed.jobs);
    const done = performance.now();
    if (i < 5) continue; // warm-up: let the JIT settle
    parse.push(parsedAt - t);
    validate.push(done - parsedAt);
  }
  const baseline = process.env.VALIDATE_BASELINE === undefined ? null : await interleaved(body, process.env.VALIDATE_BASELINE, runs);
  const submit = await benchSubmit(n, opts.posts ?? 20);
  const rate = (ms: number) => Math.round(n / (ms / 1000));
  const v = summarize(validate);
  const p = summarize(parse);
  return {
    batch: n,
    validate: { medianMs: v.p50, bestMs: Math.min(...validate), jobsPerSec: rate(v.p50) },
    jsonParse: { medianMs: p.p50, bestMs: Math.min(...parse), jobsPerSec: rate(p.p50) },
    httpSubmit: { medianMs: submit.p50, p99Ms: submit.p99, jobsPerSec: rate(submit.p50) },
    baseline,
  };
}

type Normalize = (inputs: unknown) => unknown[];

/** This build's normalizeJobs and another build's, alternating which goes first, on fresh parses of the same body. */
async function interleaved(body: string, baselinePath: string, runs: number) {
  const other = (await import(pathToFileURL(baselinePath).href)) as { normalizeJobs: Normalize };
  const times: Record<'this' | 'baseline', number[]> = { this: [], baseline: [] };
  const sides: Array<['this' | 'baseline', Normalize]> = [['this', normalizeJobs], ['baseline', other.normalizeJobs]];
  for (let i = 0; i < runs + 5; i++) {
    for (const [side, normalize] of i % 2 === 0 ? sides : [...sides].reverse()) {
      const parsed = (JSON.parse(body) as { jobs: unknown[] }).jobs;
      const t = performance.now();
      normalize(parsed);
      if (i >= 5) times[side].push(performance.now() - t);
    }
  }
  const stats = (xs: number[]) => ({ medianMs: summarize(xs).p50, bestMs: Math.min(...xs) });
  return { this: stats(times.this), baseline: stats(times.baseline) };
}

async function benchSubmit(n: number, posts: number) {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-validate-bench-'));
  const serve = await startServeProcess(dir, ['--store', 'memory']);
  try {
    const times: number[] = [];
    for (let i = 0; i < posts + 3; i++) {
      const body = JSON.stringify({ jobs: mixedJobs(n, `s${i}`) });
      const t = performance.now();
      const res = await fetch(`${serve.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (res.status !== 202) throw new Error(`batch submit: HTTP ${res.status}`);
      if (i >= 3) times.push(performance.now() - t);
    }
    return summarize(times);
  } finally {
    await serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Jobs in the shapes clients send, cycling so every validator branch runs. */
function mixedJobs(n: number, prefix: string): object[] {
  const data = Buffer.alloc(64, 42).toString('base64');
  const jobs = new Array<object>(n);
  for (let i = 0; i < n; i++) {
    const job_id = `${prefix}-${i}`;
    switch (i % 4) {
      case 0: jobs[i] = { job_id, program: { op: 'counteq', imm: 42, data } }; break;
      case 1: jobs[i] = { job_id, priority: 5, timeout_seconds: 60, program: { operations: ['crc32c', { op: 'xor', imm: 7 }], data, offset: 8, length: 32 } }; break;
      case 2: jobs[i] = { job_id, required_memory_mb: 512, metadata: { owner: 'bench', n: i }, program: { ops: [{ operation: 'fnv64' }], data, fnv_state: 'cbf29ce484222325' } }; break;
      default: jobs[i] = { job_id, substrates: ['local'], max_attempts: 2, program: { op: 'add', data, length: 16 } }; break;
    }
  }
  return jobs;
}
