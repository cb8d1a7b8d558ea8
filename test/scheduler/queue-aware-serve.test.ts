import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import { silentLogger } from '../../src/logger.js';
import { startHttpWorker, type HttpWorker } from '../../src/runtimes/http-server/index.js';
import { CloudflareSubstrate } from '../../src/substrates/cloudflare/cloudflare-substrate.js';
import { FlySubstrate } from '../../src/substrates/fly/fly-substrate.js';
import type { PolicyName } from '../../src/scheduler/policies/index.js';

/**
 * The issue-12 symptom, outside the simulation: the local pool plus two paid
 * HTTP substrates (a Fly and a Cloudflare entry, both the real adapters
 * posting to `packetfs worker --http` on loopback), 10,000 tiny unpinned
 * jobs submitted at once. The local threads finish them in a fraction of a
 * second; a queue-unaware policy still spills thousands to the paid ones
 * because the local slots are full when the batch is placed.
 */
const TOKEN = 'queue-aware-test-token';
const JOBS = 10_000;

describe('10,000 tiny jobs with local threads and two paid substrates', () => {
  let dir: string;
  let worker: HttpWorker;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pfs-queue-aware-'));
    worker = await startHttpWorker({ port: 0, host: '127.0.0.1', token: TOKEN, allowPrivate: true, handleSignals: false });
  });
  after(async () => {
    await worker.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function placements(policy: PolicyName): Promise<Map<string, number>> {
    const d = await Dispatcher.create({
      dataDir: join(dir, policy), storeKind: 'memory', logger: silentLogger, policy, threads: 2, probeIntervalMs: 1000,
      substrates: [
        new FlySubstrate({ name: 'fly', url: worker.url, token: TOKEN }),
        new CloudflareSubstrate({ name: 'cloudflare', url: worker.url, token: TOKEN }),
      ],
    });
    try {
      const data = Buffer.alloc(64, 42).toString('base64');
      // An hour to finish: the default policy pays only when the free threads, as measured, cannot finish a
      // job before its deadline. On a quiet machine they finish all 10,000 in well under a second, but on
      // one loaded to 20+ runnable processes a thread's measured run can grow a thousandfold, and with the
      // default 300 s a share of the jobs would rightly go to Fly; with an hour, waiting is right however slow.
      const jobs = Array.from({ length: JOBS }, (_, i) => ({ job_id: `${policy}-${i}`, program: { op: 'counteq', imm: 42, data }, timeout_s: 3600 }));
      await d.submitJobs(jobs);
      const counts = new Map<string, number>();
      for (const job of jobs) {
        const r = await d.getResult(job.job_id, { wait: 60 });
        assert.equal(r?.status, 'succeeded', JSON.stringify(r));
        counts.set(r.substrate ?? 'none', (counts.get(r.substrate ?? 'none') ?? 0) + 1);
      }
      return counts;
    } finally {
      await d.close();
    }
  }

  it('queue-aware keeps them on the local pool, where they finish soonest and free', async () => {
    const counts = await placements('queue-aware');
    assert.equal(counts.get('local'), JOBS, JSON.stringify([...counts]));
  });

  it('cost-latency, which treats a full substrate as unavailable, pays for some of them (the symptom)', async () => {
    const counts = await placements('cost-latency');
    const paid = (counts.get('fly') ?? 0) + (counts.get('cloudflare') ?? 0);
    assert.ok(paid > 0, JSON.stringify([...counts]));
  });
});
