import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import { until } from '../helpers/eventually.js';
import { silentLogger } from '../../src/logger.js';
import { startHttpWorker, type HttpWorker } from '../../src/runtimes/http-server/index.js';
import { CloudflareSubstrate } from '../../src/substrates/cloudflare/cloudflare-substrate.js';
import { VercelSubstrate } from '../../src/substrates/vercel/vercel-substrate.js';
import { checkedJobs } from '../fixtures/cloud-jobs.js';
import { startLoopbackServer, type LoopbackServer } from '../fixtures/loopback-server.js';

/**
 * Failover with two remote substrates, each a real HTTP worker server: one
 * is killed while it still holds most of its share. Every job must still
 * complete with the right result, the dead substrate's circuit must open,
 * and the jobs it dropped must show the failed attempt there.
 */
let dir: string;
let workerA: HttpWorker;
let workerB: HttpWorker;
let slowA: Awaited<ReturnType<typeof slowProxy>>;
let d: Dispatcher;

/**
 * Test fixture: a loopback proxy that holds each request 40 ms before passing it to
 * `target`. It keeps edge-a slow whatever the machine's speed, so edge-a is still
 * mid-run when it dies; closing the proxy cuts its connections, as a dying host does.
 * edge-a sends one batch at a time, so when a batch arrives every earlier one has
 * been answered: `batchArrived(n)` resolves with the jobs in the n-1 answered batches
 * when the n-th arrives.
 */
function slowProxy(target: string): Promise<LoopbackServer & { batchArrived(n: number): Promise<number> }> {
  const jobsPerBatch: number[] = [];
  const waiting = new Map<number, (answered: number) => void>();
  return startLoopbackServer(async (req, body, res) => {
    if (req.method === 'POST') {
      jobsPerBatch.push((JSON.parse(body.toString('utf8')) as { jobs?: unknown[] }).jobs?.length ?? 1);
      waiting.get(jobsPerBatch.length)?.(jobsPerBatch.slice(0, -1).reduce((a, b) => a + b, 0));
    }
    await new Promise((resolve) => setTimeout(resolve, 40));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    const reply = await fetch(new URL(req.url ?? '/', target), { method: req.method ?? 'GET', headers, ...(body.length > 0 ? { body: new Uint8Array(body) } : {}) });
    res.writeHead(reply.status, { 'content-type': reply.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await reply.arrayBuffer()));
  }).then((server) => ({ ...server, batchArrived: (n: number) => new Promise<number>((resolve) => waiting.set(n, resolve)) }));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pfs-failover-'));
  workerA = await startHttpWorker({ port: 0, host: '127.0.0.1', token: 'a', handleSignals: false, drainMs: 0 });
  workerB = await startHttpWorker({ port: 0, host: '127.0.0.1', token: 'b', handleSignals: false, drainMs: 0 });
  slowA = await slowProxy(workerA.url);
  // A is narrow and slow (small requests one at a time, each held 40 ms); B holds at most 200
  // jobs at once, so however the policy ranks them, A gets a share and is mid-run when it dies
  const a = new CloudflareSubstrate({ name: 'edge-a', url: slowA.url, token: 'a', limits: { max_batch: 10, concurrency: 1, max_concurrent_jobs: 1500 } });
  const b = new VercelSubstrate({ name: 'edge-b', url: workerB.url, token: 'b', limits: { max_batch: 100, concurrency: 8, max_concurrent_jobs: 200 } });
  d = await Dispatcher.create({ dataDir: dir, storeKind: 'memory', logger: silentLogger, local: false, substrates: [a, b], probeIntervalMs: 50 });
});

after(async () => {
  await d.close();
  await workerB.close();
  await rm(dir, { recursive: true, force: true });
});

it('every job completes correctly after one substrate dies mid-run, and its circuit opens', async (t) => {
  const jobs = checkedJobs(3000, 'fo', { required_memory_mb: 128, required_duration_s: 10, max_attempts: 5 });
  // kill A once it has answered five batches, with far more still queued at it
  const fiveAnswered = slowA.batchArrived(6);
  await d.submitJobs(jobs.map((j) => j.job));
  const answeredByA = await fiveAnswered;
  await slowA.close();
  await workerA.close();

  // half-open also means it opened: a probe may already be testing it when we look
  const watching = until('the circuit of edge-a to open', async () => ['open', 'half_open'].includes((await d.listSubstrates()).find((s) => s.name === 'edge-a')?.circuit ?? 'closed'), 45_000);
  const results = await Promise.all(jobs.map((j) => d.getResult(j.job.job_id, { wait: 40 })));
  await watching;

  const on: Record<string, number> = {};
  let failedOver = 0;
  results.forEach((r, i) => {
    assert.equal(r?.status, 'succeeded', JSON.stringify(r));
    assert.deepEqual(r.result, jobs[i]!.expected);
    on[r.substrate!] = (on[r.substrate!] ?? 0) + 1;
    if (r.attempt_errors?.some((e) => e.substrate === 'edge-a')) {
      assert.equal(r.substrate, 'edge-b');
      failedOver++;
    }
  });
  assert.ok(answeredByA >= 5 && on['edge-a']! >= answeredByA, `${answeredByA} answered by edge-a before it died: ${JSON.stringify(on)}`);
  assert.ok(on['edge-b']! > 0, JSON.stringify(on));
  assert.ok(failedOver > 0);
  t.diagnostic(`results by substrate ${JSON.stringify(on)}; failed over from edge-a: ${failedOver}`);
  const a = (await d.listSubstrates()).find((s) => s.name === 'edge-a');
  assert.notEqual(a?.circuit, 'closed');
  assert.equal(a?.healthy, false);
});
