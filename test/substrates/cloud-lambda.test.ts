import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import { silentLogger } from '../../src/logger.js';
import { LambdaSubstrate } from '../../src/substrates/lambda/lambda-substrate.js';
import { startLambdaInvokeApi, type LambdaFixture, type LambdaHandler } from '../fixtures/lambda-invoke-api.js';
import { checkedJobs, execRequests } from '../fixtures/cloud-jobs.js';

/**
 * The lambda adapter with the real AWS SDK (signing, serialisation, error
 * parsing) against a loopback Invoke API that runs the freshly built
 * dist-style bundle of the Lambda runtime (scripts/build-runtimes.mjs).
 */
const ACCESS_KEY = 'AKIDPACKETFSTEST';
const credentials = { accessKeyId: ACCESS_KEY, secretAccessKey: 'test-secret-not-real' };

describe('lambda adapter', () => {
  let dir: string;
  let fixture: LambdaFixture;
  let lambda: LambdaSubstrate;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pfs-lambda-'));
    const { buildRuntimes } = await import(pathToFileURL(join(process.cwd(), 'scripts/build-runtimes.mjs')).href) as { buildRuntimes(o: { outDir: string }): Promise<string[]> };
    await buildRuntimes({ outDir: join(dir, 'runtimes') });
    const { handler } = await import(pathToFileURL(join(dir, 'runtimes/lambda/handler.js')).href) as { handler: LambdaHandler };
    fixture = await startLambdaInvokeApi('packetfs', handler, ACCESS_KEY);
    lambda = new LambdaSubstrate({
      name: 'lambda-test', region: 'eu-west-1', functionName: 'packetfs', endpoint: fixture.url, credentials,
      limits: { max_batch: 100, concurrency: 4 },
    });
  });
  after(async () => {
    await lambda.close();
    await fixture.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a batch as signed Invokes of up to max_batch jobs and prices each job', async () => {
    const jobs = checkedJobs(250, 'lam');
    const before = fixture.invocations;
    const outcomes = await lambda.execute(execRequests(jobs));
    assert.equal(fixture.invocations - before, 3);
    assert.equal(fixture.unsigned, 0);
    outcomes.forEach((outcome, i) => {
      assert.equal(outcome.ok, true, JSON.stringify(outcome));
      if (outcome.ok) {
        assert.deepEqual(outcome.result, jobs[i]!.expected);
        // the default free tier covers these requests: the estimate is 0, but it is recorded
        assert.equal(typeof outcome.cost_usd, 'number');
      }
    });
  });

  it('probes with a health Invoke', async () => {
    const report = await lambda.probe();
    assert.equal(report.healthy, true, report.detail);
    assert.ok((report.latency_ms ?? -1) >= 0);
  });

  it('turns a function error and a 429 into retryable failures of the whole request', async () => {
    fixture.faults.push('function-error', 'throttle');
    const jobs = checkedJobs(30, 'fault');
    const [errored, throttled] = await Promise.all([
      lambda.execute(execRequests(jobs.slice(0, 10))),
      lambda.execute(execRequests(jobs.slice(10, 20))),
    ]);
    const codes = new Set([...errored!, ...throttled!].map((o) => (o.ok ? 'ok' : `${o.error.code}:${o.retryable}`)));
    assert.deepEqual([...codes].sort(), ['SUBSTRATE_FAILED:true', 'THROTTLED:true']);
    const again = await lambda.execute(execRequests(jobs.slice(20)));
    assert.ok(again.every((o) => o.ok));
  });

  it('prices requests beyond the free tier per GB-second and request', async () => {
    const paid = new LambdaSubstrate({
      name: 'lambda-paid', region: 'eu-west-1', functionName: 'packetfs', endpoint: fixture.url, credentials,
      pricing: { free_tier: {} }, limits: { max_memory_mb: 2048 },
    });
    try {
      const [outcome] = await paid.execute(execRequests(checkedJobs(1, 'paid')));
      assert.ok(outcome?.ok);
      // at least the request fee; GB-seconds add to it
      assert.ok(outcome.cost_usd! >= 0.20 / 1_000_000, String(outcome.cost_usd));
      assert.ok(outcome.cost_usd! < 0.01);
    } finally {
      await paid.close();
    }
  });

  it('retries throttled and failed Invokes in the dispatcher until every job succeeds', async () => {
    const d = await Dispatcher.create({ dataDir: join(dir, 'd'), storeKind: 'memory', logger: silentLogger, local: false, substrates: [lambda], probeIntervalMs: 100,
      // the three faults in a row open the breaker; its default 5 s cooldown would be most of this file's wall time
      breaker: { cooldownMs: 300 },
    });
    try {
      fixture.faults.push('throttle', 'function-error', 'throttle');
      const jobs = checkedJobs(40, 'retry', { max_attempts: 6 });
      await d.submitJobs(jobs.map((j) => j.job));
      const results = await Promise.all(jobs.map((j) => d.getResult(j.job.job_id, { wait: 30 })));
      const retriedCodes = new Set<string>();
      results.forEach((r, i) => {
        assert.equal(r?.status, 'succeeded', JSON.stringify(r));
        assert.equal(r.substrate, 'lambda-test');
        assert.deepEqual(r.result, jobs[i]!.expected);
        for (const e of r.attempt_errors ?? []) retriedCodes.add(e.code);
      });
      assert.ok(retriedCodes.has('THROTTLED'), [...retriedCodes].join());
      assert.ok(retriedCodes.has('SUBSTRATE_FAILED'), [...retriedCodes].join());
      const metrics = await d.getMetrics(100);
      assert.equal(metrics.substrates['lambda-test']?.succeeded, 40);
      assert.equal(typeof metrics.substrates['lambda-test']?.total_cost_usd, 'number');
    } finally {
      await d.close();
    }
  });
});
