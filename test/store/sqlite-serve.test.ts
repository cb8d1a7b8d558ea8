import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { listeningUrl, runCli, spawnCli } from '../cli/run-cli.js';
import { backupStore, storeInfo } from '../../src/store/sqlite/store-file.js';
import { PacketFSError } from '../../src/errors.js';

/**
 * The durable default end to end: real `packetfs serve` processes on one
 * data dir, SIGKILLed while they run jobs. What the API acknowledged (202)
 * must survive; after the last restart every job has exactly one result (and
 * so one metric) in packetfs.db, and a job waiting for a volunteer is still
 * waiting.
 */
const TOTAL = 20_000;
const BATCH = 2_000;

interface Serve {
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
}

let root: string;
const live: Serve[] = [];

before(async () => { root = await mkdtemp(join(tmpdir(), 'pfs-sqlite-serve-')); });
after(async () => {
  for (const s of live) s.child.kill('SIGKILL');
  await Promise.all(live.map((s) => s.exited));
  await rm(root, { recursive: true, force: true });
});

async function serve(dataDir: string, extra: string[] = []): Promise<Serve> {
  const child = spawnCli(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--threads', '1', ...extra]);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await listeningUrl(child, /packetfs listening on (http:\/\/127\.0\.0\.1:\d+) \(store: sqlite /);
  const s = { url, child, exited };
  live.push(s);
  return s;
}

async function kill(s: Serve): Promise<void> {
  s.child.kill('SIGKILL');
  await s.exited;
  live.splice(live.indexOf(s), 1);
}

async function stop(s: Serve): Promise<void> {
  s.child.kill('SIGTERM');
  await s.exited;
  live.splice(live.indexOf(s), 1);
}

/** Job i counts the 7s in 64 bytes of which the first i % 65 are 7: each job has its own known answer. */
function job(i: number) {
  const bytes = Buffer.alloc(64, 0);
  bytes.fill(7, 0, i % 65);
  return { job_id: `crash-${i}`, program: { op: 'counteq', imm: 7, data: bytes.toString('base64') } };
}

async function post(url: string, jobs: unknown[]): Promise<void> {
  const res = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobs }) });
  assert.equal(res.status, 202);
  const body = await res.json() as { created: boolean[] };
  assert.equal(body.created.filter(Boolean).length, jobs.length);
}

async function submit(url: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += BATCH) await post(url, Array.from({ length: Math.min(BATCH, to - i) }, (_, j) => job(i + j)));
}

/** Polls the store file (a second reader, as `packetfs store info` is) until `done` says yes; bounded. */
async function until(dataDir: string, done: (succeeded: number) => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const succeeded = storeInfo(dataDir).counts.succeeded;
    if (done(succeeded)) return succeeded;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${succeeded} of ${TOTAL} succeeded`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SQLite store under a real serve', () => {
  it('20,000 jobs, serve SIGKILLed twice mid-run: each job finishes exactly once with one result and one metric', { timeout: 90_000 }, async (t) => {
    const dir = join(root, 'crash');
    const first = await serve(dir, ['--metrics-limit', String(TOTAL * 2)]);
    // waits for a volunteer that never comes: must still be waiting after every crash
    await post(first.url, [{ job_id: 'waiting', program: { op: 'crc32c', data: 'AQID' }, substrates: ['volunteer'] }]);
    await submit(first.url, 0, TOTAL / 2);
    await kill(first);
    const atFirst = storeInfo(dir).counts.succeeded;

    const second = await serve(dir, ['--metrics-limit', String(TOTAL * 2)]);
    const before = await (await fetch(`${second.url}/v1/jobs/crash-0`)).json() as { status: string };
    assert.ok(['queued', 'running', 'succeeded'].includes(before.status), 'acknowledged jobs are known after the crash');
    // one request of TOTAL / 2 jobs: killed right after its 202, while those jobs run
    await post(second.url, Array.from({ length: TOTAL / 2 }, (_, j) => job(TOTAL / 2 + j)));
    await kill(second);
    const atSecond = storeInfo(dir).counts.succeeded;
    t.diagnostic(`succeeded when killed: ${atFirst} and ${atSecond} of ${TOTAL}`);

    const third = await serve(dir, ['--metrics-limit', String(TOTAL * 2)]);
    await until(dir, (n) => n >= TOTAL, 60_000);
    const waiting = await (await fetch(`${third.url}/v1/jobs/waiting`)).json() as { status: string; result: unknown };
    assert.ok(['queued', 'running'].includes(waiting.status), `the volunteer job is still waiting, got ${waiting.status}`);
    assert.equal(waiting.result, null);
    const early = await (await fetch(`${third.url}/v1/jobs/crash-1/result`)).json() as { status: string };
    assert.equal(early.status, 'succeeded', 'a result written before the crashes is readable');
    await stop(third);

    const db = new Database(join(dir, 'packetfs.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT id, result FROM jobs WHERE id LIKE 'crash-%'").all() as Array<{ id: string; result: string | null }>;
      assert.equal(rows.length, TOTAL);
      for (const row of rows) {
        const n = Number(row.id.slice('crash-'.length));
        assert.ok(row.result !== null, `${row.id} has a result`);
        const record = JSON.parse(row.result) as { job_id: string; status: string; result: unknown };
        assert.equal(record.job_id, row.id);
        assert.equal(record.status, 'succeeded');
        assert.deepEqual(record.result, { count: n % 65, bytes: 64 });
      }
      // a job's metric record is read from its result row: one finish per job means one metric per job
      const finishes = db.prepare("SELECT finish_seq FROM jobs WHERE id LIKE 'crash-%'").pluck().all() as Array<number | null>;
      assert.ok(finishes.every((f) => f !== null), 'every job finished');
      assert.equal(new Set(finishes).size, TOTAL, 'each finished once, in its own place in the finish order');
    } finally {
      db.close();
    }
  });

  it('a second serve on the same data dir is refused with STORE_LOCKED (exit 2); a backup can be taken beside the first', async () => {
    const dir = join(root, 'locked');
    const first = await serve(dir);
    await post(first.url, [job(1), job(2)]);
    const second = await runCli(['serve', '--port', '0', '--data-dir', dir]);
    assert.equal(second.code, 2);
    assert.match(second.stderr, /^packetfs: STORE_LOCKED: .*in use by another packetfs process/);

    const backup = join(root, 'backup.db');
    const made = await runCli(['store', 'backup', backup, '--data-dir', dir, '--json']);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(JSON.parse(made.stdout).path, backup);
    await assert.rejects(backupStore(dir, backup), (err: unknown) => err instanceof PacketFSError && err.code === 'CONFLICT');
    const copy = new Database(backup, { readonly: true });
    try {
      assert.deepEqual(copy.prepare('SELECT id FROM jobs ORDER BY seq').pluck().all(), ['crash-1', 'crash-2']);
    } finally {
      copy.close();
    }

    const info = await runCli(['store', 'info', '--data-dir', dir, '--json']);
    assert.equal(info.code, 0, info.stderr);
    const parsed = JSON.parse(info.stdout) as { path: string; bytes: number; counts: { queued: number; running: number; succeeded: number } };
    assert.equal(parsed.path, join(dir, 'packetfs.db'));
    assert.ok(parsed.bytes > 0);
    assert.equal(parsed.counts.queued + parsed.counts.running + parsed.counts.succeeded, 2);
    await stop(first);
  });

  it('a data dir that cannot be created is DATA_DIR_UNWRITABLE (exit 2), before anything starts', async () => {
    const file = join(root, 'not-a-dir');
    await writeFile(file, 'x');
    const run = await runCli(['serve', '--port', '0', '--data-dir', file]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^packetfs: DATA_DIR_UNWRITABLE: the data dir is not writable: .*not-a-dir/);
  });
});
