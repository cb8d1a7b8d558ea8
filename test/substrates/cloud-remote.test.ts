import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloudflareSubstrate } from '../../src/substrates/cloudflare/cloudflare-substrate.js';
import { VercelSubstrate } from '../../src/substrates/vercel/vercel-substrate.js';
import { CostMeter } from '../../src/substrates/http-compute/cost-meter.js';
import { checkedJobs, execRequests } from '../fixtures/cloud-jobs.js';
import { sendJson, startLoopbackServer, type LoopbackServer } from '../fixtures/loopback-server.js';

/**
 * The machinery every HTTP adapter shares, against a scripted loopback
 * runtime: how replies map to outcomes, request splitting by count and by
 * size, bounded concurrency, and cost sharing.
 */
type Script = (body: { jobs: Array<{ job_id: string }> }) => { status: number; body: unknown };

describe('HTTP compute client behaviour', () => {
  let server: LoopbackServer;
  let script: Script;
  const requests: Array<{ jobs: number; bytes: number }> = [];
  let open = 0;
  let maxOpen = 0;

  before(async () => {
    server = await startLoopbackServer(async (req, raw, res) => {
      if (req.url === '/health') return sendJson(res, 200, { status: 'ok', version: 't', runtime: 'http', ops: [] });
      const body = JSON.parse(raw.toString('utf8')) as { jobs: Array<{ job_id: string }> };
      requests.push({ jobs: body.jobs.length, bytes: raw.length });
      open++;
      maxOpen = Math.max(maxOpen, open);
      await new Promise((resolve) => setImmediate(resolve));
      open--;
      const reply = script(body);
      sendJson(res, reply.status, reply.body);
    });
  });
  after(() => server.close());

  const ok = (body: { jobs: Array<{ job_id: string }> }) => ({
    status: 200,
    body: { results: body.jobs.map((j) => ({ job_id: j.job_id, success: true, result: { count: 1, bytes: 1 }, exec_time_ms: 0.1, bytes_processed: 1 })) },
  });

  it('splits by max_batch and keeps at most `concurrency` requests open', async () => {
    script = ok;
    requests.length = 0;
    maxOpen = 0;
    const cf = new CloudflareSubstrate({ name: 'cf', url: server.url, limits: { max_batch: 7, concurrency: 2 } });
    const outcomes = await cf.execute(execRequests(checkedJobs(50, 'split')));
    assert.equal(outcomes.length, 50);
    assert.ok(outcomes.every((o) => o.ok));
    assert.deepEqual(requests.map((r) => r.jobs).sort((a, b) => a - b), [1, 7, 7, 7, 7, 7, 7, 7]);
    assert.ok(maxOpen <= 2, String(maxOpen));
    await cf.close();
  });

  it('halves requests whose body would pass the provider limit (Vercel Edge: 4 MB)', async () => {
    script = ok;
    requests.length = 0;
    const vc = new VercelSubstrate({ name: 'vc', url: server.url, limits: { max_batch: 500 } });
    const big = execRequests(checkedJobs(40, 'big')).map((r) => ({ ...r, program: { ...r.program, data: Buffer.alloc(200_000, 7).toString('base64') } }));
    const outcomes = await vc.execute(big);
    assert.ok(outcomes.every((o) => o.ok));
    assert.ok(requests.length >= 3, JSON.stringify(requests));
    assert.ok(requests.every((r) => r.bytes <= 4_000_000), JSON.stringify(requests));
    assert.equal(requests.reduce((n, r) => n + r.jobs, 0), 40);
    await vc.close();
  });

  it('maps 429, 5xx, request-level errors and malformed replies to outcomes', async () => {
    const cf = new CloudflareSubstrate({ name: 'cf', url: server.url });
    const run = async (s: Script) => {
      script = s;
      return cf.execute(execRequests(checkedJobs(3, 'map')));
    };
    const codes = (outcomes: Awaited<ReturnType<typeof run>>) => outcomes.map((o) => (o.ok ? 'ok' : `${o.error.code}/${o.retryable}`));
    assert.deepEqual(codes(await run(() => ({ status: 429, body: { error: { code: 'THROTTLED', message: 'slow down' } } }))), Array(3).fill('THROTTLED/true'));
    assert.deepEqual(codes(await run(() => ({ status: 503, body: 'down' }))), Array(3).fill('SUBSTRATE_FAILED/true'));
    assert.deepEqual(codes(await run(() => ({ status: 400, body: { error: { code: 'INVALID_JOB', message: 'bad', path: 'jobs[0].program' } } }))), Array(3).fill('INVALID_JOB/false'));
    assert.deepEqual(codes(await run(() => ({ status: 200, body: { results: [] } }))), Array(3).fill('SUBSTRATE_FAILED/true'));
    // a job's own failure keeps the runtime's code and retryable; a result for another job is refused
    assert.deepEqual(codes(await run((b) => ({
      status: 200,
      body: { results: [
        { job_id: b.jobs[0]!.job_id, success: false, result: null, exec_time_ms: 0, bytes_processed: 0, error: { code: 'WINDOW_OUT_OF_RANGE', message: 'past the end' }, retryable: false },
        { job_id: 'someone-else', success: true, result: { count: 1, bytes: 1 }, exec_time_ms: 0, bytes_processed: 1 },
        { job_id: b.jobs[2]!.job_id, success: true, result: { count: 1, bytes: 1 }, exec_time_ms: 0, bytes_processed: 1 },
      ] },
    }))), ['WINDOW_OUT_OF_RANGE/false', 'SUBSTRATE_FAILED/true', 'ok']);
    assert.equal((await cf.probe()).healthy, true);
    await cf.close();
    const gone = new CloudflareSubstrate({ name: 'gone', url: 'http://127.0.0.1:1' });
    assert.deepEqual(codes(await gone.execute(execRequests(checkedJobs(2, 'gone')))), Array(2).fill('SUBSTRATE_FAILED/true'));
    assert.equal((await gone.probe()).healthy, false);
    await gone.close();
  });

  it('shares a request\'s cost among its jobs and uses free tiers first', () => {
    const meter = new CostMeter({ model: 'per_gb_second', usd_per_gb_second: 0.00001, usd_per_request: 0.000001 }, 2048, { requests: 1, gb_seconds: 1 });
    // 2 GB for 1 s = 2 GB-s: 1 free, 1 billed; the request is free
    assert.equal(meter.perJobUsd(4, 1000), 0.00001 / 4);
    // no free tier left: request fee + 2 GB-s
    assert.equal(meter.perJobUsd(2, 1000), (0.000001 + 0.00002) / 2);
    const hourly = new CostMeter({ model: 'per_hour', usd_per_hour: 3.6 }, 256);
    assert.equal(hourly.perJobUsd(10, 1000), 0.001 / 10);
  });
});
