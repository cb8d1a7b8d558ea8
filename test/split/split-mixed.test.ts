import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Miniflare } from 'miniflare';
import { serveDispatcher, type Served } from '../server/harness.js';
import { LocalSubstrate } from '../../src/substrates/local/local-substrate.js';
import { CloudflareSubstrate } from '../../src/substrates/cloudflare/cloudflare-substrate.js';
import { startVolunteer, type Volunteer } from '../../src/runtimes/node-volunteer/volunteer-client.js';
import { until } from '../helpers/eventually.js';
import { silentLogger } from '../../src/logger.js';
import { WORKERD_MODULE_RULES, bundlePath, ensureBundles } from '../runtimes/runtime-fixtures.js';
import { refCrc32c, refXor } from '../ops/reference.js';

/**
 * One split job spread over local threads, a Node volunteer (the
 * `packetfs worker --coordinator` client, in process) and the Cloudflare
 * bundle under workerd. Each substrate gets few slots, so the dispatcher has
 * to use all three; the folded result must still be exact. (The job
 * declares 64 MB: Workers offer 128 MB, under the 256 MB default.)
 */
describe('a split job over local threads, a volunteer and workerd', () => {
  let served: Served;
  let mf: Miniflare;
  let volunteer: Volunteer;
  let cloudflare: CloudflareSubstrate;

  before(async () => {
    await ensureBundles();
    mf = new Miniflare({ modules: true, scriptPath: bundlePath('cloudflare/worker.js'), modulesRules: WORKERD_MODULE_RULES, compatibilityDate: '2025-01-01', bindings: { ALLOW_PRIVATE_DATA_URLS: 'true' } });
    const workerUrl = (await mf.ready).toString().replace(/\/$/, '');
    served = await serveDispatcher({ dispatcher: { local: false, probeIntervalMs: 100 } });
    const local = new LocalSubstrate({ threads: 1, maxInFlight: 1, blobDir: served.dispatcher.blobs.dir });
    await local.start?.();
    served.dispatcher.registry.add(local);
    cloudflare = new CloudflareSubstrate({ name: 'workerd', url: workerUrl, publicOrigin: served.url, limits: { max_concurrent_jobs: 2, concurrency: 2 } });
    served.dispatcher.registry.add(cloudflare);
    volunteer = startVolunteer({ coordinator: served.url, slots: 2, logger: silentLogger, allowPrivate: true });
    await until('the volunteer to register', async () => (await served.dispatcher.listSubstrates()).some((s) => s.name === 'volunteer' && s.capabilities.max_concurrent_jobs === 2), 20_000);
  });
  after(async () => {
    await volunteer?.stop(1000);
    await served?.close();
    await mf?.dispose();
  });

  it('uses all three and folds their windows into the single-pass result', { timeout: 60_000 }, async () => {
    const data = Uint8Array.from({ length: 600_000 }, (_, i) => (i * 101 + (i >>> 12)) & 0xff);
    const blob = await served.dispatcher.blobs.put(data);
    await served.dispatcher.submitJob({ job_id: 'mixed', program: { ops: ['crc32c', { op: 'xor', imm: 3 }], blob: blob.blob_id }, split: { window_bytes: 10_000 }, required_memory_mb: 64 });
    const record = await served.dispatcher.getResult('mixed', { wait: 50 });
    assert.equal(record?.status, 'succeeded', JSON.stringify(record?.error));
    assert.deepEqual(record.result, [{ crc32c: refCrc32c(data), bytes: data.length }, { xor: refXor(data, 3), bytes: data.length }]);
    const used = record.split_substrates ?? {};
    assert.equal(Object.values(used).reduce((a, b) => a + b, 0), 60);
    for (const name of ['local', 'volunteer', 'workerd']) assert.ok((used[name] ?? 0) > 0, `${name} ran windows: ${JSON.stringify(used)}`);
  });
});
