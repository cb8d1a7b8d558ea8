import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { Dispatcher } from '../src/dispatcher/dispatcher.js';
import { silentLogger } from '../src/logger.js';
import { startServer } from '../src/server/server.js';
import { CloudflareSubstrate } from '../src/substrates/cloudflare/cloudflare-substrate.js';
import type { ResultRecord } from '../src/job/types.js';
import { WORKERD_MODULE_RULES } from '../test/runtimes/runtime-fixtures.js';

/**
 * One 1 GiB blob, crc32c: a split job with "auto" over local threads, 4
 * volunteer nodes (`packetfs worker --coordinator`, each its own process,
 * one slot) and the Cloudflare bundle under workerd (Miniflare), against one
 * job over the whole blob on the local pool — same dispatcher, same run,
 * alternating, best of 3; plus the same split pinned to the local threads. The dispatcher's window limit is raised to 1 GiB
 * so the single pass can run at all. All processes share this machine's
 * cores, so the split's gain is bounded by the cores, not by the pool size.
 */
export async function benchSplit(opts: { blobMiB?: number; volunteers?: number } = {}) {
  const blobBytes = (opts.blobMiB ?? 1024) * 1024 * 1024;
  const dir = await mkdtemp(join(tmpdir(), 'pfs-split-bench-'));
  const dispatcher = await Dispatcher.create({ dataDir: dir, logger: silentLogger, maxWindowBytes: blobBytes, maxBlobBytes: blobBytes, probeIntervalMs: 200 });
  const server = await startServer(dispatcher, { host: '127.0.0.1', port: 0, blobLimitBytes: blobBytes });
  const mf = new Miniflare({
    modules: true, scriptPath: fileURLToPath(new URL('../runtimes/cloudflare/worker.js', import.meta.url)), compatibilityDate: '2025-01-01',
    modulesRules: WORKERD_MODULE_RULES,
    bindings: { ALLOW_PRIVATE_DATA_URLS: 'true' },
  });
  const volunteers: ChildProcess[] = [];
  try {
    const workerUrl = (await mf.ready).toString().replace(/\/$/, '');
    dispatcher.registry.add(new CloudflareSubstrate({ name: 'workerd', url: workerUrl, publicOrigin: server.url }));
    const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    for (let i = 0; i < (opts.volunteers ?? 4); i++) {
      volunteers.push(spawn(process.execPath, [cli, 'worker', '--coordinator', server.url.replace('http', 'ws'), '--slots', '1', '--allow-private-data-urls', '--log-level', 'error'], { stdio: 'ignore' }));
    }
    const want = opts.volunteers ?? 4;
    const deadline = Date.now() + 30_000;
    while (((await dispatcher.listSubstrates()).find((s) => s.name === 'volunteer')?.capabilities.max_concurrent_jobs ?? 0) < want) {
      if (Date.now() > deadline) throw new Error('volunteers did not register');
      await new Promise((r) => setTimeout(r, 50));
    }
    const blob = Buffer.alloc(blobBytes);
    for (let i = 0; i < blob.length; i += 4) blob.writeUInt32LE((i * 2654435761) >>> 0, i);
    const { blob_id: blobId } = await dispatcher.blobs.put(blob);
    const program = { op: 'crc32c', blob: blobId };
    const runs: Array<{ single: number; split: number; localSplit: number; splitRecord: ResultRecord }> = [];
    let expected: unknown;
    for (let round = 0; round < 3; round++) {
      let t0 = performance.now();
      await dispatcher.submitJob({ job_id: `single-${round}`, program, substrates: ['local'], required_memory_mb: 64, timeout_s: 600 });
      const single = await dispatcher.getResult(`single-${round}`, { wait: 600 });
      const singleS = (performance.now() - t0) / 1000;
      if (single?.status !== 'succeeded') throw new Error(`single pass: ${JSON.stringify(single?.error)}`);
      expected ??= single.result;
      t0 = performance.now();
      await dispatcher.submitJob({ job_id: `split-${round}`, program, split: 'auto', required_memory_mb: 64, timeout_s: 600 });
      const split = await dispatcher.getResult(`split-${round}`, { wait: 600 });
      const splitS = (performance.now() - t0) / 1000;
      if (split?.status !== 'succeeded') throw new Error(`split: ${JSON.stringify(split?.error)}`);
      if (JSON.stringify(split.result) !== JSON.stringify(expected)) throw new Error(`split result ${JSON.stringify(split.result)} != single pass ${JSON.stringify(expected)}`);
      t0 = performance.now();
      await dispatcher.submitJob({ job_id: `local-split-${round}`, program, split: 'auto', substrates: ['local'], required_memory_mb: 64, timeout_s: 600 });
      const localSplit = await dispatcher.getResult(`local-split-${round}`, { wait: 600 });
      const localSplitS = (performance.now() - t0) / 1000;
      if (JSON.stringify(localSplit?.result) !== JSON.stringify(expected)) throw new Error(`local split: ${JSON.stringify(localSplit?.error ?? localSplit?.result)}`);
      runs.push({ single: singleS, split: splitS, localSplit: localSplitS, splitRecord: split });
    }
    const bestSingle = Math.min(...runs.map((r) => r.single));
    const best = runs.reduce((a, b) => (b.split < a.split ? b : a));
    return {
      blobMiB: blobBytes / 1024 / 1024,
      singleGBPerSec: Number((blobBytes / bestSingle / 1e9).toFixed(3)),
      splitGBPerSec: Number((blobBytes / best.split / 1e9).toFixed(3)),
      localSplitGBPerSec: Number((blobBytes / Math.min(...runs.map((r) => r.localSplit)) / 1e9).toFixed(3)),
      windows: best.splitRecord.progress?.windows_total ?? 0,
      windowMiB: Number(((best.splitRecord.progress?.bytes_total ?? 0) / Math.max(1, best.splitRecord.progress?.windows_total ?? 1) / 1024 / 1024).toFixed(1)),
      perSubstrate: best.splitRecord.split_substrates ?? {},
    };
  } finally {
    for (const v of volunteers) v.kill('SIGTERM');
    await Promise.all(volunteers.map((v) => (v.exitCode !== null ? undefined : new Promise((r) => v.once('exit', r)))));
    await server.close();
    await dispatcher.close();
    await mf.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
