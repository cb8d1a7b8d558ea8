import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OP_NAMES } from '../../src/ops/types.js';
import type { ComputeJob, JobResponse } from '../../src/runtimes/worker-core/index.js';
import { loadOpsVectors } from '../ops/vectors.js';

/**
 * What every runtime's tests share: the built bundles, and the op test
 * vectors (contracts §3) as compute jobs with their expected results.
 */
let built: Promise<unknown> | undefined;

/**
 * Miniflare's rule for the Cloudflare bundle's kernels.wasm import (a compiled
 * module, as deploy/wrangler.toml's [[rules]] tells wrangler): every Miniflare
 * that runs dist/runtimes/cloudflare/worker.js needs it.
 */
export const WORKERD_MODULE_RULES = [{ type: 'CompiledWasm' as const, include: ['**/*.wasm'] }];

/** Repo root: tests run from it (from sources or from dist), as the vectors helper assumes. */
export const REPO_ROOT = process.cwd();

/** Builds dist/runtimes/* once per test process, with the same script `npm run build` runs. */
export function ensureBundles(): Promise<unknown> {
  built ??= import(pathToFileURL(path.join(REPO_ROOT, 'scripts/build-runtimes.mjs')).href)
    .then((script: { buildRuntimes(): Promise<unknown> }) => script.buildRuntimes());
  return built;
}

/** Absolute path of a built bundle, e.g. bundlePath('lambda/handler.js'). */
export function bundlePath(relative: string): string {
  return path.join(REPO_ROOT, 'dist/runtimes', relative);
}

export interface VectorJob {
  job: ComputeJob;
  expected: unknown;
}

/** Every case of ops.json as an inline job. */
export function inlineVectorJobs(): VectorJob[] {
  return loadOpsVectors().cases.map((c, i) => ({
    job: { job_id: `case-${i}`, program: { op: c.op, imm: c.imm, data: c.data_b64 }, timeout_s: 30 },
    expected: { ...c.result, bytes: Buffer.from(c.data_b64, 'base64').length },
  }));
}

/** The blob windows of ops.json (all five ops, imm 42) and the whole blob, read from `blobUrl` by Range. */
export function windowVectorJobs(blobUrl: string): VectorJob[] {
  const vectors = loadOpsVectors();
  const ops = OP_NAMES.map((op) => ({ op, imm: 42 }));
  const jobs = vectors.windows.map((w, i) => ({
    job: { job_id: `window-${i}`, program: { ops, data_url: blobUrl, offset: w.offset, length: w.length }, timeout_s: 30 },
    expected: OP_NAMES.map((op) => ({ ...w.results[op], bytes: w.length })),
  }));
  jobs.push({
    job: { job_id: 'whole-blob', program: { ops, data_url: blobUrl, offset: 0, length: vectors.blob.size }, timeout_s: 30 },
    expected: OP_NAMES.map((op) => ({ ...vectors.whole_blob_imm42[op], bytes: vectors.blob.size })),
  });
  return jobs;
}

/** Asserts each response succeeded with its vector's result, in order. */
export function assertVectorResults(cases: VectorJob[], results: JobResponse[]): void {
  assert.equal(results.length, cases.length);
  cases.forEach((c, i) => {
    const got = results[i]!;
    assert.equal(got.job_id, c.job.job_id);
    assert.ok(got.success, `${c.job.job_id}: ${JSON.stringify(got)}`);
    assert.deepEqual(got.result, c.expected, c.job.job_id);
  });
}

/**
 * The request bodies the original prototype's clients send, verbatim in
 * shape: its Lambda handler's documented event and its Cloudflare Worker's
 * body (`{jobId, program, timeout}`, timeout in ms), and its Python
 * dispatcher's CloudflareAdapter/LambdaAdapter payload
 * (`{job_id, program, timeout_s}`), over the vectors' first blob window.
 */
export function originalBodies(blobUrl: string): { camel: Record<string, unknown>; snake: Record<string, unknown>; count: number } {
  const window = loadOpsVectors().windows.find((w) => w.length === 1048576)!;
  const program = { op: 'counteq', data_url: blobUrl, offset: window.offset, length: window.length, imm: 42 };
  return {
    camel: { jobId: 'job-12345', program, timeout: 30000 },
    snake: { job_id: 'c0ffee00-0000-4000-8000-000000000001', program, timeout_s: 300 },
    count: (window.results.counteq as { count: number }).count,
  };
}

/** Asserts a single-job reply to an original body: `results` beside `result`, and the original's keys for `jobId`. */
export function assertOriginalReply(reply: Record<string, unknown>, body: Record<string, unknown>, count: number): void {
  const expected = { count, bytes: 1048576 };
  assert.equal(reply.success, true, JSON.stringify(reply));
  assert.deepEqual(reply.result, expected);
  assert.deepEqual(reply.results, expected, 'the original clients read `results`');
  if (body.jobId !== undefined) {
    assert.equal(reply.jobId, body.jobId);
    assert.equal(reply.bytesProcessed, 1048576);
    assert.equal(typeof reply.executionTimeMs, 'number');
  } else {
    assert.equal(reply.job_id, body.job_id);
  }
}
