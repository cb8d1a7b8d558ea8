import { runOps } from '../../src/ops/index.js';
import { OP_NAMES, type OpResult, type OpSpec } from '../../src/ops/types.js';
import { prng, randomBytes } from '../ops/reference.js';

/** A job for POST /v1/jobs and the result runOps gives for it, computed here in the test. */
export interface ExpectedJob {
  job: Record<string, unknown>;
  expected: OpResult | OpResult[];
}

/**
 * `count` jobs cycling through all five ops (single-op shorthand and op lists),
 * alternating inline data and windows of `blob`. Seeded, so a failing case replays.
 */
export function mixedJobs(count: number, blob: { id: string; bytes: Uint8Array }, substrates: string[], seed = 1): ExpectedJob[] {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const out: ExpectedJob[] = [];
  for (let i = 0; i < count; i++) {
    const ops: OpSpec[] = i % 3 === 0
      ? OP_NAMES.map((op) => ({ op, imm: int(256) }))
      : [{ op: OP_NAMES[i % OP_NAMES.length]!, imm: int(256) }];
    const single = ops.length === 1;
    const program: Record<string, unknown> = single ? { op: ops[0]!.op, imm: ops[0]!.imm } : { ops };
    let window: Uint8Array;
    if (i % 2 === 0) {
      const data = Buffer.from(randomBytes(rnd, int(4096)));
      const offset = int(data.length + 1);
      const length = int(data.length - offset + 1);
      Object.assign(program, { data: data.toString('base64'), offset, length });
      window = data.subarray(offset, offset + length);
    } else {
      const offset = int(blob.bytes.length);
      const length = int(Math.min(256 * 1024, blob.bytes.length - offset) + 1);
      Object.assign(program, { blob: blob.id, offset, length });
      window = blob.bytes.subarray(offset, offset + length);
    }
    const results = runOps(ops, window);
    out.push({ job: { program, substrates }, expected: single ? results[0]! : results });
  }
  return out;
}
