import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeJob, normalizeJobs, type JobSpec } from '../../src/job/index.js';
import { assertPacketFSError, type ExpectedError } from './assert-packetfs-error.js';

const PROGRAM = { op: 'counteq', imm: 42, data_url: 'https://host/file.bin', offset: 0, length: 1048576 };
const NOW = new Date('2025-01-02T03:04:05.678Z');
const fixed = { now: () => NOW, newId: () => 'generated-id' };

test('a minimal job gets every default', () => {
  assert.deepEqual(normalizeJob({ program: PROGRAM }, fixed), {
    job_id: 'generated-id',
    program: { ops: [{ op: 'counteq', imm: 42 }], single: true, data_url: 'https://host/file.bin', offset: 0, length: 1048576 },
    required_memory_mb: 256,
    required_duration_s: 30,
    requires_gpu: false,
    requires_state: false,
    priority: 0,
    timeout_s: 300,
    created_at: '2025-01-02T03:04:05.678Z',
    metadata: {},
    substrates: null,
    max_attempts: 3,
  } satisfies JobSpec);
});

test('without newId, job_id is a random UUID; without now, created_at is the current time', () => {
  const before = Date.now();
  const a = normalizeJob({ program: PROGRAM });
  const b = normalizeJob({ program: PROGRAM });
  assert.match(a.job_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a.job_id, b.job_id);
  const created = Date.parse(a.created_at);
  assert.ok(created >= before - 1000 && created <= Date.now() + 1000);
});

test('every field given explicitly is kept', () => {
  const job = normalizeJob({
    job_id: 'tenant:job.42_x-1',
    program: { ops: ['crc32c'], blob: 'b' },
    required_memory_mb: 1_048_576,
    required_duration_s: 0.5,
    requires_gpu: true,
    requires_state: true,
    priority: -1000,
    timeout_s: 86_400,
    created_at: '2024-05-01T12:00:00Z',
    metadata: { owner: 'ana', tags: ['a', 'b'], nested: { n: 1 } },
    substrates: ['browser', 'local', 'cloud_run-2'],
    max_attempts: 100,
  }, fixed);
  assert.equal(job.job_id, 'tenant:job.42_x-1');
  assert.equal(job.required_memory_mb, 1_048_576);
  assert.equal(job.required_duration_s, 0.5);
  assert.equal(job.requires_gpu, true);
  assert.equal(job.requires_state, true);
  assert.equal(job.priority, -1000);
  assert.equal(job.timeout_s, 86_400);
  assert.equal(job.created_at, '2024-05-01T12:00:00.000Z');
  assert.deepEqual(job.metadata, { owner: 'ana', tags: ['a', 'b'], nested: { n: 1 } });
  assert.deepEqual(job.substrates, ['browser', 'local', 'cloud_run-2']);
  assert.equal(job.max_attempts, 100);
});

test('aliases required_duration_seconds and timeout_seconds', () => {
  const job = normalizeJob({ program: PROGRAM, required_duration_seconds: 12.5, timeout_seconds: 60 }, fixed);
  assert.equal(job.required_duration_s, 12.5);
  assert.equal(job.timeout_s, 60);
  assert.ok(!('required_duration_seconds' in job) && !('timeout_seconds' in job));
});

test('created_at accepts ISO-8601 variants and stores canonical UTC', () => {
  assert.equal(normalizeJob({ program: PROGRAM, created_at: '2024-05-01T14:00:00+02:00' }).created_at, '2024-05-01T12:00:00.000Z');
  assert.equal(normalizeJob({ program: PROGRAM, created_at: '2024-05-01' }).created_at, '2024-05-01T00:00:00.000Z');
  // Python's datetime.isoformat() with microseconds and an offset
  assert.equal(normalizeJob({ program: PROGRAM, created_at: '2024-05-01T12:00:00.123456+00:00' }).created_at, '2024-05-01T12:00:00.123Z');
});

test('substrates: null means any; metadata is a detached copy', () => {
  assert.equal(normalizeJob({ program: PROGRAM, substrates: null }).substrates, null);
  const metadata = { a: { b: 1 } };
  const substrates = ['local'];
  const job = normalizeJob({ program: PROGRAM, metadata, substrates });
  metadata.a.b = 2;
  substrates.push('browser');
  assert.deepEqual(job.metadata, { a: { b: 1 } });
  assert.deepEqual(job.substrates, ['local']);
  const empty = {};
  assert.notEqual(normalizeJob({ program: PROGRAM, metadata: empty }).metadata, empty);
});

test('metadata up to the 16 KiB limit is accepted, counting UTF-8 bytes', () => {
  const fits = { s: 'x'.repeat(16 * 1024 - 8) }; // {"s":"…"} is 8 bytes of framing
  assert.deepEqual(normalizeJob({ program: PROGRAM, metadata: fits }).metadata, fits);
  assertPacketFSError(() => normalizeJob({ program: PROGRAM, metadata: { s: 'x'.repeat(16 * 1024 - 7) } }), { code: 'INVALID_JOB', path: 'metadata' }, 'one byte over');
  // 6000 three-byte characters: 6000 UTF-16 units but 18,000 UTF-8 bytes
  assertPacketFSError(() => normalizeJob({ program: PROGRAM, metadata: { s: '€'.repeat(6000) } }), { code: 'INVALID_JOB', path: 'metadata' }, 'multi-byte');
});

test('a normalised job normalises to itself', () => {
  const once = normalizeJob({ program: { ops: [{ operation: 'xor', imm: 1 }, 'fnv64'], data: 'AAEC', fnv_state: 'FFFFFFFFFFFFFFFF' }, metadata: { k: 'v' }, substrates: ['local'] }, fixed);
  assert.deepEqual(normalizeJob(JSON.parse(JSON.stringify(once))), once);
});

test('normalizeJobs validates every job and keeps order', () => {
  const jobs = normalizeJobs([{ program: PROGRAM, job_id: 'a' }, { program: PROGRAM, job_id: 'b', priority: 5 }], fixed);
  assert.deepEqual(jobs.map((j) => [j.job_id, j.priority]), [['a', 0], ['b', 5]]);
  assert.deepEqual(normalizeJobs([]), []);
  assert.equal(normalizeJobs(new Array(10_000).fill({ program: { op: 'add', blob: 'b' } })).length, 10_000);
});

const BAD_PROGRAM = { op: 'add', blob: 'b' };
const job = (extra: Record<string, unknown>) => ({ program: BAD_PROGRAM, ...extra });

const rejects: Array<[string, unknown, ExpectedError]> = [
  ['not an object', 'job', { code: 'INVALID_JOB', path: '' }],
  ['null', null, { code: 'INVALID_JOB', path: '' }],
  ['an array', [job({})], { code: 'INVALID_JOB', path: '' }],
  ['a Date instance', new Date(), { code: 'INVALID_JOB', path: '' }],
  ['no program', {}, { code: 'INVALID_JOB', path: 'program', message: /program is required/ }],
  ['program not an object', { program: 'crc32c' }, { code: 'INVALID_JOB', path: 'program' }],
  ['bad program imm', { program: { op: 'add', imm: 256, blob: 'b' } }, { code: 'INVALID_JOB', path: 'program.imm', message: /imm must be an integer 0\.\.255/ }],
  ['unknown field with a suggestion', job({ prority: 3 }), { code: 'INVALID_JOB', path: 'prority', message: /unknown field 'prority'; did you mean 'priority'\?/ }],
  ['unknown field, camelCase', job({ timeoutS: 3 }), { code: 'INVALID_JOB', path: 'timeoutS', message: /did you mean 'timeout_s'\?/ }],
  ['unknown field, no look-alike', job({ color: 'red' }), { code: 'INVALID_JOB', path: 'color', message: /unknown field 'color'; allowed: job_id, program/ }],
  ['unknown field with an odd name', job({ 'a.b': 1 }), { code: 'INVALID_JOB', path: '["a.b"]' }],
  ['unknown field inside the program', { program: { op: 'add', blob: 'b', imn: 3 } }, { code: 'INVALID_JOB', path: 'program.imn', message: /did you mean 'imm'/ }],
  ['duration and its alias', job({ required_duration_s: 1, required_duration_seconds: 1 }), { code: 'INVALID_JOB', path: 'required_duration_seconds', message: /not both/ }],
  ['alias first, then canonical', job({ timeout_seconds: 1, timeout_s: 1 }), { code: 'INVALID_JOB', path: 'timeout_seconds', message: /not both/ }],
  ['job_id empty', job({ job_id: '' }), { code: 'INVALID_JOB', path: 'job_id' }],
  ['job_id 129 chars', job({ job_id: 'a'.repeat(129) }), { code: 'INVALID_JOB', path: 'job_id' }],
  ['job_id with a space', job({ job_id: 'a b' }), { code: 'INVALID_JOB', path: 'job_id' }],
  ['job_id a number', job({ job_id: 42 }), { code: 'INVALID_JOB', path: 'job_id' }],
  ['memory 0', job({ required_memory_mb: 0 }), { code: 'INVALID_JOB', path: 'required_memory_mb' }],
  ['memory 1.5', job({ required_memory_mb: 1.5 }), { code: 'INVALID_JOB', path: 'required_memory_mb' }],
  ['memory over 1 TiB', job({ required_memory_mb: 1_048_577 }), { code: 'INVALID_JOB', path: 'required_memory_mb' }],
  ['memory as string', job({ required_memory_mb: '256' }), { code: 'INVALID_JOB', path: 'required_memory_mb' }],
  ['duration 0', job({ required_duration_s: 0 }), { code: 'INVALID_JOB', path: 'required_duration_s' }],
  ['duration NaN', job({ required_duration_s: NaN }), { code: 'INVALID_JOB', path: 'required_duration_s' }],
  ['duration alias over a day', job({ required_duration_seconds: 86_401 }), { code: 'INVALID_JOB', path: 'required_duration_seconds', message: /required_duration_seconds must be/ }],
  ['timeout negative', job({ timeout_s: -5 }), { code: 'INVALID_JOB', path: 'timeout_s' }],
  ['timeout Infinity', job({ timeout_seconds: Infinity }), { code: 'INVALID_JOB', path: 'timeout_seconds' }],
  ['requires_gpu as string', job({ requires_gpu: 'true' }), { code: 'INVALID_JOB', path: 'requires_gpu' }],
  ['requires_state as number', job({ requires_state: 1 }), { code: 'INVALID_JOB', path: 'requires_state' }],
  ['priority 1001', job({ priority: 1001 }), { code: 'INVALID_JOB', path: 'priority', message: /-1000\.\.1000/ }],
  ['priority 1.5', job({ priority: 1.5 }), { code: 'INVALID_JOB', path: 'priority' }],
  ['priority null', job({ priority: null }), { code: 'INVALID_JOB', path: 'priority' }],
  ['created_at not ISO', job({ created_at: 'March 7, 2020' }), { code: 'INVALID_JOB', path: 'created_at' }],
  ['created_at impossible date', job({ created_at: '2024-13-45T00:00:00Z' }), { code: 'INVALID_JOB', path: 'created_at' }],
  ['created_at a number', job({ created_at: 1700000000000 }), { code: 'INVALID_JOB', path: 'created_at' }],
  ['metadata an array', job({ metadata: [1] }), { code: 'INVALID_JOB', path: 'metadata' }],
  ['metadata null', job({ metadata: null }), { code: 'INVALID_JOB', path: 'metadata' }],
  ['metadata with a BigInt', job({ metadata: { n: 1n } }), { code: 'INVALID_JOB', path: 'metadata', message: /JSON/ }],
  ['substrates empty', job({ substrates: [] }), { code: 'INVALID_JOB', path: 'substrates' }],
  ['substrates a string', job({ substrates: 'local' }), { code: 'INVALID_JOB', path: 'substrates' }],
  ['substrates 33 names', job({ substrates: new Array(33).fill('local') }), { code: 'INVALID_JOB', path: 'substrates' }],
  ['substrate name upper-case', job({ substrates: ['local', 'Browser'] }), { code: 'INVALID_JOB', path: 'substrates[1]' }],
  ['substrate name empty', job({ substrates: [''] }), { code: 'INVALID_JOB', path: 'substrates[0]' }],
  ['max_attempts 0', job({ max_attempts: 0 }), { code: 'INVALID_JOB', path: 'max_attempts' }],
  ['max_attempts 101', job({ max_attempts: 101 }), { code: 'INVALID_JOB', path: 'max_attempts' }],
  ['window past inline data', { program: { op: 'add', data: 'AAAA', length: 4 } }, { code: 'WINDOW_OUT_OF_RANGE', path: 'program.length' }],
];

test(`rejects bad jobs with the right code and path (${rejects.length} cases)`, () => {
  for (const [label, input, expected] of rejects) assertPacketFSError(() => normalizeJob(input), expected, label);
});

test('normalizeJob honours a path prefix', () => {
  assertPacketFSError(() => normalizeJob(job({ priority: 2000 }), { path: 'body' }), { code: 'INVALID_JOB', path: 'body.priority' }, 'prefixed field');
  assertPacketFSError(() => normalizeJob(7, { path: 'body' }), { code: 'INVALID_JOB', path: 'body' }, 'prefixed non-object');
});

test('normalizeJobs: nested error paths, non-arrays, batch limit', () => {
  const good = job({});
  assertPacketFSError(() => normalizeJobs([good, good, good, { program: { ops: ['add', { op: 'xor', imm: 1.5 }], blob: 'b' } }]),
    { code: 'INVALID_JOB', path: 'jobs[3].program.ops[1].imm' }, 'nested path');
  assertPacketFSError(() => normalizeJobs([good, 'nope']), { code: 'INVALID_JOB', path: 'jobs[1]' }, 'non-object item');
  assertPacketFSError(() => normalizeJobs([good, job({ colour: 1 })]), { code: 'INVALID_JOB', path: 'jobs[1].colour' }, 'unknown field in item');
  assertPacketFSError(() => normalizeJobs([job({ program: { op: 'add', data: 'AA', offset: 2 } })]), { code: 'WINDOW_OUT_OF_RANGE', path: 'jobs[0].program.offset' }, 'window in item');
  assertPacketFSError(() => normalizeJobs({ jobs: [] }), { code: 'INVALID_JOB', path: 'jobs' }, 'not an array');
  assertPacketFSError(() => normalizeJobs(new Array(10_001).fill(good)), { code: 'PAYLOAD_TOO_LARGE', path: 'jobs' }, 'batch too large');
  assertPacketFSError(() => normalizeJobs([good, good, good], { maxBatch: 2 }), { code: 'PAYLOAD_TOO_LARGE', path: 'jobs' }, 'configured batch limit');
  assertPacketFSError(() => normalizeJobs([good, job({ priority: 'high' })], { path: 'items' }), { code: 'INVALID_JOB', path: 'items[1].priority' }, 'custom base path');
});
