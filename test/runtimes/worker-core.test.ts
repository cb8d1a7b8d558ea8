import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketFSError } from '../../src/errors.js';
import { createAddressPolicy } from '../../src/data/address-policy.js';
import { assertBearerToken } from '../../src/runtimes/worker-core/bearer-token.js';
import { assertDataUrlAllowed } from '../../src/runtimes/worker-core/data-url-guard.js';
import { MAX_BATCH_JOBS, parseComputeBody } from '../../src/runtimes/worker-core/index.js';

/** The runtime-neutral pieces of the worker core, without any runtime around them. */
function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof PacketFSError, String(err));
    return err.code;
  }
}

describe('data_url guard without DNS', () => {
  const guarded = createAddressPolicy();
  const open = createAddressPolicy({ allowPrivate: true });

  it('refuses non-public literals and internal names', () => {
    for (const url of [
      'http://127.0.0.1/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x', 'http://[fd00::1]/x', 'http://0.0.0.0/x',
      'http://localhost/x', 'http://LOCALHOST./x', 'http://api.localhost/x', 'http://printer.local/x',
      'http://metadata.google.internal/computeMetadata/v1/', 'http://my-app.internal/x', 'http://metadata/x',
    ]) {
      assert.equal(code(() => assertDataUrlAllowed(guarded, url)), 'DATA_URL_FORBIDDEN', url);
    }
  });

  it('lets public hosts through, and everything with allowPrivate', () => {
    for (const url of ['https://example.com/f.bin', 'http://93.184.216.34/x', 'https://[2606:4700::1111]/x', 'https://s3.amazonaws.com/b/k?X-Amz-Signature=1']) {
      assert.equal(code(() => assertDataUrlAllowed(guarded, url)), undefined, url);
    }
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://metadata/x']) {
      assert.equal(code(() => assertDataUrlAllowed(open, url)), undefined, url);
    }
  });

  it('refuses relative blob paths and other schemes as INVALID_JOB', () => {
    assert.equal(code(() => assertDataUrlAllowed(open, '/v1/blobs/abc')), 'INVALID_JOB');
    assert.equal(code(() => assertDataUrlAllowed(open, 'file:///etc/passwd')), 'INVALID_JOB');
  });
});

describe('compute request envelope', () => {
  it('accepts one job or a batch, defaulting timeout_s', () => {
    const single = parseComputeBody({ job_id: 'a', program: { op: 'add', data: '' } });
    assert.deepEqual(single, { batch: false, jobs: [{ job_id: 'a', program: { op: 'add', data: '' }, timeout_s: 300 }], original: false });
    const batch = parseComputeBody({ jobs: [{ job_id: 'b', program: {}, timeout_s: 2, state_key: 'file-1' }] });
    assert.equal(batch.batch, true);
    assert.equal(batch.jobs[0]!.state_key, 'file-1');
  });

  it("accepts the original prototype's {jobId, program, timeout (ms)}, and a job without an id", () => {
    const original = parseComputeBody({ jobId: 'job-12345', program: { op: 'add', data: '' }, timeout: 30000 });
    assert.deepEqual(original, { batch: false, jobs: [{ job_id: 'job-12345', program: { op: 'add', data: '' }, timeout_s: 30 }], original: true });
    const anonymous = parseComputeBody({ program: { op: 'add', data: '' } });
    assert.match(anonymous.jobs[0]!.job_id, /^[0-9a-f-]{36}$/);
  });

  it('names the field at fault', () => {
    const cases: Array<[unknown, string, string | undefined]> = [
      [[], 'INVALID_REQUEST', undefined],
      [{ jobs: {} }, 'INVALID_REQUEST', 'jobs'],
      [{ jobs: [], extra: 1 }, 'INVALID_REQUEST', 'extra'],
      [{ jobs: [{ job_id: 'ok', program: {} }, 'x'] }, 'INVALID_JOB', 'jobs[1]'],
      [{ job_id: '', program: {} }, 'INVALID_JOB', 'job_id'],
      [{ job_id: 'a b', program: {} }, 'INVALID_JOB', 'job_id'],
      [{ job_id: 'a' }, 'INVALID_JOB', 'program'],
      [{}, 'INVALID_JOB', 'program'],
      [{ job_id: 'a', program: {}, timeout_s: 0 }, 'INVALID_JOB', 'timeout_s'],
      [{ job_id: 'a', program: {}, state_key: 'has space' }, 'INVALID_JOB', 'state_key'],
      [{ job_id: 'a', program: {}, timeoutS: 3 }, 'INVALID_JOB', 'timeoutS'],
      [{ job_id: 'a', jobId: 'a', program: {} }, 'INVALID_JOB', 'jobId'],
      [{ jobId: 7, program: {} }, 'INVALID_JOB', 'jobId'],
      [{ jobId: 'a', program: {}, timeout: 0 }, 'INVALID_JOB', 'timeout'],
      [{ jobId: 'a', program: {}, timeout: 30000, timeout_s: 30 }, 'INVALID_JOB', 'timeout'],
    ];
    for (const [body, expectedCode, path] of cases) {
      try {
        parseComputeBody(body);
        assert.fail(`accepted ${JSON.stringify(body)}`);
      } catch (err) {
        assert.ok(err instanceof PacketFSError);
        assert.deepEqual([err.code, err.path], [expectedCode, path], JSON.stringify(body));
      }
    }
  });

  it('refuses batches over the limit as PAYLOAD_TOO_LARGE', () => {
    const jobs = Array.from({ length: MAX_BATCH_JOBS + 1 }, (_, i) => ({ job_id: `j${i}`, program: {} }));
    assert.equal(code(() => parseComputeBody({ jobs })), 'PAYLOAD_TOO_LARGE');
  });
});

describe('bearer token', () => {
  it('accepts the exact token only', async () => {
    await assertBearerToken('Bearer s3cret', 's3cret');
    await assertBearerToken('bearer   s3cret ', 's3cret');
    for (const header of [null, 'Bearer', 'Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 'Bearer s3 cret']) {
      await assert.rejects(assertBearerToken(header, 's3cret'), (err: PacketFSError) => err.code === 'UNAUTHORIZED', String(header));
    }
  });
});
