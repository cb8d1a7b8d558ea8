import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { serveDispatcher, type Served } from '../server/harness.js';
import type { ServerOptions } from '../../src/server/server.js';
import { expectedSum } from './served.js';
import { BUILT_CLI } from '../cli/run-cli.js';
import { until } from '../helpers/eventually.js';

/** `packetfs worker` as users run it, built. */
function startWorker(coordinator: string, slots: number): ChildProcess {
  return spawn(process.execPath, [BUILT_CLI, 'worker', '--coordinator', coordinator, '--slots', String(slots), '--log-level', 'warn'],
    { cwd: process.cwd(), stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PACKETFS_NODE_TOKEN: 'node-secret' } });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

test('packetfs worker processes run pinned jobs; one killed mid-run loses nothing', { timeout: 55_000 }, async () => {
  const served: Served = await serveDispatcher({ dispatcher: { threads: 1, nodeToken: 'node-secret' } });
  const nodes = () => served.dispatcher.nodes!.views('node');
  // the worker to kill starts first, so its node id is known
  const workers = [startWorker(served.url.replace('http', 'ws'), 4)];
  try {
    await until('the first worker to register', () => nodes().length === 1, 20_000);
    const victim = nodes()[0]!.node_id;
    // one survivor is enough for the victim's jobs to fail over to
    workers.push(startWorker(served.url.replace('http', 'ws'), 4));
    await until('the second worker to register', () => nodes().length === 2, 20_000);
    const blob = Buffer.alloc(64 * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = i % 251;
    const info = await served.dispatcher.blobs.put(blob);
    const total = 900;
    const jobs = Array.from({ length: total }, (_, i) => i % 3 === 0
      ? { job_id: `w-${i}`, substrates: ['volunteer'], program: { op: 'counteq', imm: i % 251, blob: info.blob_id, offset: i, length: 4096 } }
      : { job_id: `w-${i}`, substrates: ['volunteer'], program: { op: 'add', imm: i % 256, data: Buffer.from(`job ${i}`).toString('base64') } });
    await served.dispatcher.submitJobs(jobs);
    // kill the first worker while it holds jobs: they must fail over, not be lost
    await until('the first worker to hold jobs', () => (nodes().find((n) => n.node_id === victim)?.in_flight ?? 0) > 0, 20_000);
    workers[0]!.kill('SIGKILL');
    const records = await Promise.all(jobs.map((j) => served.dispatcher.getResult(j.job_id, { wait: 40 })));
    for (let i = 0; i < total; i++) {
      const r = records[i]!;
      assert.equal(r?.status, 'succeeded', `job ${i}: ${JSON.stringify(r?.error)}`);
      assert.equal(r.substrate, 'volunteer');
      if (i % 3 === 0) {
        let count = 0;
        for (let k = i; k < i + 4096; k++) if (blob[k] === i % 251) count++;
        assert.deepEqual(r.result, { count, bytes: 4096 });
      } else {
        assert.deepEqual(r.result, { sum: expectedSum(i), bytes: Buffer.from(`job ${i}`).length });
      }
    }
    // the killed worker held jobs: they failed over and succeeded on a second attempt
    assert.ok(records.some((r) => r!.attempts >= 2 && r!.attempt_errors?.some((e) => e.code === 'SUBSTRATE_FAILED')));
    // exactly one result per job: the metrics list holds each job once
    const metrics = await served.dispatcher.getMetrics(10_000);
    const ids = metrics.metrics.map((m) => m.job_id).filter((id) => id.startsWith('w-'));
    assert.equal(ids.length, total);
    assert.equal(new Set(ids).size, total);
    assert.deepEqual(nodes().map((n) => n.node_id).filter((id) => id === victim), []);
    assert.equal(nodes().length, 1);
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map(exited));
    await served.close();
  }
});

test('a worker reconnects when the dispatcher restarts', { timeout: 55_000 }, async () => {
  let served = await serveDispatcher({ dispatcher: { threads: 1, nodeToken: 'node-secret' } });
  const port = new URL(served.url).port;
  const worker = startWorker(served.url.replace('http', 'ws'), 2);
  try {
    await until('the worker to register', () => served.dispatcher.nodes!.views().length === 1, 20_000);
    await served.close();
    served = await serveDispatcher({ dispatcher: { threads: 1, nodeToken: 'node-secret' }, server: { port: Number(port) } as ServerOptions });
    await until('the worker to reconnect', () => served.dispatcher.nodes!.views().length === 1, 20_000);
    await served.dispatcher.submitJob({ job_id: 'after-restart', substrates: ['volunteer'], program: { op: 'crc32c', data: Buffer.from('123456789').toString('base64') } });
    const r = await served.dispatcher.getResult('after-restart', { wait: 10 });
    assert.deepEqual(r?.result, { crc32c: 3808858755, bytes: 9 });
  } finally {
    worker.kill('SIGTERM');
    await exited(worker);
    await served.close();
  }
});
