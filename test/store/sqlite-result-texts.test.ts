import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptError, JobSpec, ResultRecord } from '../../src/job/types.js';
import type { Lease } from '../../src/store/job-store.js';
import { failedRecord, succeededRecord } from '../../src/store/result-records.js';
import { addResult, PLAIN_NUMBERS, PLAIN_TEXTS, plainResultJson, RESULT_JSON, RESULT_TRUSTED, RESULT_UNCHECKED } from '../../src/store/sqlite/result-texts.js';

function lease(jobId: string, errors: AttemptError[] = [], attempt = 1): Lease {
  const job = { job_id: jobId } as JobSpec;
  return { job, attempt, token: 't', enqueuedAt: 1_000, errors };
}

/** What the writer thread stores for one record sent through addResult (writer-thread.ts finish). */
function stored(record: ResultRecord): { kind: number; text: string } {
  const kinds = new Uint8Array(1);
  const numbers = new Float64Array(PLAIN_NUMBERS);
  const texts: string[] = [];
  addResult(record, 0, kinds, numbers, texts);
  const kind = kinds[0] as number;
  if (kind === RESULT_JSON) {
    assert.equal(texts.length, 1);
    return { kind, text: texts[0] as string };
  }
  assert.equal(texts.length, PLAIN_TEXTS);
  return { kind, text: plainResultJson(kind, texts, 0, numbers, 0) };
}

describe('SQLite result texts (result-texts.ts)', () => {
  it('a plain success is composed on the writer into exactly the text JSON.stringify gives', () => {
    const at = Date.UTC(2025, 0, 1, 0, 0, 1, 234);
    const records: ResultRecord[] = [
      succeededRecord(lease('j1'), { ok: true, result: { count: 64, bytes: 64 }, bytes_processed: 64, exec_time_ms: 0.0123456 }, { substrate: 'local', dispatchedAt: 1_012.5, costUsd: 0 }, at),
      // unchecked (untrusted substrate), an array result, odd numbers, ids and names that need escaping
      succeededRecord(lease('j"2\\\u00e9\u2028', [], 3), { ok: true, result: [{ crc32c: 4294967295, bytes: 3 }, { fnv64: '0xcbf29ce484222325', bytes: 3 }], bytes_processed: 1e21, exec_time_ms: 1e-7 },
        { substrate: 'vol\u00fcnteer "n"', dispatchedAt: 999, costUsd: 0.000001234, trust: 'untrusted' }, at),
      succeededRecord(lease('j3'), { ok: true, result: { count: -0, bytes: 0 }, bytes_processed: 0, exec_time_ms: 0, cost_usd: 5e-324 }, { substrate: '', dispatchedAt: 1_000, costUsd: 0 }, at),
    ];
    const kinds = records.map((r) => {
      const { kind, text } = stored(r);
      assert.equal(text, JSON.stringify(r));
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(r)));
      return kind;
    });
    assert.deepEqual(kinds, [RESULT_TRUSTED, RESULT_UNCHECKED, RESULT_TRUSTED]);
  });

  it('any other record travels as its whole JSON text', () => {
    const at = Date.UTC(2025, 0, 1);
    const error: AttemptError = { attempt: 1, substrate: 'local', code: 'SUBSTRATE_FAILED', message: 'x', at: '2025-01-01T00:00:00.000Z' };
    const others: ResultRecord[] = [
      // a node ran it, earlier attempts failed, a verification other than the two shared ones, a failure, odd numbers
      succeededRecord(lease('n'), { ok: true, result: { count: 1, bytes: 1 }, bytes_processed: 1, exec_time_ms: 1, node: 'node-1' }, { substrate: 'nodes', dispatchedAt: 1_000, costUsd: 0 }, at),
      succeededRecord(lease('e', [error], 2), { ok: true, result: { count: 1, bytes: 1 }, bytes_processed: 1, exec_time_ms: 1 }, { substrate: 'local', dispatchedAt: 1_000, costUsd: 0 }, at),
      succeededRecord(lease('q'), { ok: true, result: { count: 1, bytes: 1 }, bytes_processed: 1, exec_time_ms: 1, verification: { method: 'quorum', executions: 3, agreed: 2 } }, { substrate: 'nodes', dispatchedAt: 1_000, costUsd: 0 }, at),
      failedRecord(lease('f'), { code: 'SUBSTRATE_FAILED', message: 'boom' }, { substrate: 'local', dispatchedAt: 1_000, costUsd: 0 }, 1, at),
      { ...succeededRecord(lease('nan'), { ok: true, result: { count: 1, bytes: 1 }, bytes_processed: 1, exec_time_ms: 1 }, { substrate: 'local', dispatchedAt: 1_000, costUsd: Number.NaN }, at) },
      { ...succeededRecord(lease('x'), { ok: true, result: { count: 1, bytes: 1 }, bytes_processed: 1, exec_time_ms: 1 }, { substrate: 'local', dispatchedAt: 1_000, costUsd: 0 }, at), progress: { windows_total: 1, windows_done: 1, windows_failed: 0, bytes_total: 1, bytes_done: 1 } },
    ];
    for (const r of others) {
      const { kind, text } = stored(r);
      assert.equal(kind, RESULT_JSON, r.job_id);
      assert.equal(text, JSON.stringify(r));
    }
  });
});
