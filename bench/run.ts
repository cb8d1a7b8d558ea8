import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { benchKernels, kernelsTables, measureKernelsInWorker } from './kernels-bench.js';
import { benchInProcess } from './dispatcher-bench.js';
import { benchHttp } from './http-bench.js';
import { benchRuntimes } from './runtimes-bench.js';
import { benchBrowser } from './browser-bench.js';
import { benchNodes } from './nodes-bench.js';
import { benchRedis, redisBenchTable } from './redis-bench.js';
import { profileRedis } from './redis-profile.js';
import { redisInstructions } from './redis-instructions.js';
import { benchRetention, benchSqlite } from './sqlite-bench.js';
import { benchSqliteFile } from './sqlite-file-bench.js';
import { benchDashboard } from './dashboard-bench.js';
import { table } from './stats.js';
import { benchBlobHttp } from './blob-http-bench.js';
import { benchSplit } from './split-bench.js';
import { benchDataUrlRss } from './dataurl-rss-bench.js';
import { benchValidate } from './validate-bench.js';
import { benchProtocol } from './protocol-bench.js';
import { benchBudget, benchGate } from './budget-bench.js';

/**
 * `npm run bench [-- NAME...]`: runs the named suites (default: all) and
 * prints one table each; raw numbers go to bench/results/latest.json.
 * BENCHMARKS.md records the method and a run's numbers.
 */
type Suite = () => Promise<object>;

const suites: Record<string, Suite> = {
  ops: async () => {
    // The worker-thread part of `kernels`, without the other runtimes and the C limit.
    const rows = await measureKernelsInWorker(64);
    console.log('\nops, 64 MiB in a worker thread (best of 5)\n' + table(rows.map((r) => ({ op: r.op, impl: r.impl, 'GB/s': r.gbPerSec }))));
    return { rows };
  },
  kernels: async () => {
    const r = await benchKernels();
    console.log('\n' + kernelsTables(r));
    return r;
  },
  inproc: async () => {
    const r = await benchInProcess();
    console.log('\nin-process SDK, memory store + local pool, 64-byte counteq jobs\n' + table([
      { jobs: r.jobs, seconds: r.seconds, 'jobs/s': Math.round(r.jobsPerSec), 'batch p50 ms': r.batchLatencyMs.p50, 'batch p99 ms': r.batchLatencyMs.p99, 'lone p50 ms': r.loneLatencyMs.p50, 'lone p99 ms': r.loneLatencyMs.p99 },
    ]));
    return r;
  },
  // The in-process bench per policy, same run: what queue-aware placement costs the hot path.
  policies: async () => {
    const rows = [];
    for (const policy of ['classic', 'cost-latency', 'queue-aware'] as const) {
      const r = await benchInProcess({ policy, lone: 500 });
      rows.push({ policy, jobs: r.jobs, seconds: r.seconds, 'jobs/s': Math.round(r.jobsPerSec), 'batch p99 ms': r.batchLatencyMs.p99, 'lone p50 ms': r.loneLatencyMs.p50 });
    }
    console.log('\nin-process SDK per scheduling policy, memory store + local pool, 64-byte counteq jobs (same run)\n' + table(rows));
    return { rows };
  },
  http: async () => {
    const r = await benchHttp();
    console.log('\nHTTP, batches of 10,000 to a `packetfs serve` process\n' + table([
      { jobs: r.jobs, seconds: r.seconds, 'jobs/s': Math.round(r.jobsPerSec), 'lone p50 ms': r.loneLatencyMs.p50, 'lone p99 ms': r.loneLatencyMs.p99 },
    ]));
    return r;
  },
  validate: async () => {
    const r = await benchValidate();
    console.log(`\nvalidating a ${r.batch.toLocaleString('en')}-job batch (median of 40; JSON.parse of the same body is the floor)\n` + table([
      { what: 'JSON.parse of the body', 'median ms': r.jsonParse.medianMs, 'best ms': r.jsonParse.bestMs, 'jobs/s': r.jsonParse.jobsPerSec },
      { what: 'normalizeJobs (validate + normalise)', 'median ms': r.validate.medianMs, 'best ms': r.validate.bestMs, 'jobs/s': r.validate.jobsPerSec },
      { what: 'HTTP POST to 202 (serve, memory store)', 'median ms': r.httpSubmit.medianMs, 'best ms': '', 'jobs/s': r.httpSubmit.jobsPerSec },
      ...(r.baseline === null ? [] : [
        { what: 'normalizeJobs, this build (interleaved)', 'median ms': r.baseline.this.medianMs, 'best ms': r.baseline.this.bestMs, 'jobs/s': Math.round(r.batch / (r.baseline.this.medianMs / 1000)) },
        { what: 'normalizeJobs, VALIDATE_BASELINE build', 'median ms': r.baseline.baseline.medianMs, 'best ms': r.baseline.baseline.bestMs, 'jobs/s': Math.round(r.batch / (r.baseline.baseline.medianMs / 1000)) },
      ]),
    ]));
    return r;
  },
  protocol: async () => {
    const r = await benchProtocol();
    console.log('\nnode-protocol frames: a 4,096-result `results` (dispatcher reads) and a 64-job `assign` (node reads), median of 60\n' + table(
      Object.entries(r).map(([what, t]) => ({ what, 'median ms': t.medianMs, 'best ms': t.bestMs })),
    ));
    return r;
  },
  sqlite: async () => {
    const r = await benchSqlite();
    console.log(`\nSQLite store vs memory store vs the plain SQLite limit, ${r.jobs.toLocaleString('en')} 64-byte counteq jobs, same run\n` + table([
      { what: 'plain SQLite insert+update (limit)', 'memory jobs/s': '', 'sqlite jobs/s': r.limit.jobsPerSec, 'sqlite/memory': '' },
      { what: 'JobStore alone (enqueue, take, complete)', 'memory jobs/s': r.store.memory.jobsPerSec, 'sqlite jobs/s': r.store.sqlite.jobsPerSec, 'sqlite/memory': ratio(r.store.sqlite.jobsPerSec, r.store.memory.jobsPerSec) },
      { what: 'in-process SDK + local pool', 'memory jobs/s': r.inproc.memory.jobsPerSec, 'sqlite jobs/s': r.inproc.sqlite.jobsPerSec, 'sqlite/memory': ratio(r.inproc.sqlite.jobsPerSec, r.inproc.memory.jobsPerSec) },
      { what: 'HTTP batches of 10,000', 'memory jobs/s': r.http.memory.jobsPerSec, 'sqlite jobs/s': r.http.sqlite.jobsPerSec, 'sqlite/memory': ratio(r.http.sqlite.jobsPerSec, r.http.memory.jobsPerSec) },
      { what: 'in-process, CPU µs per job (all threads)', 'memory jobs/s': r.inproc.memory.cpuUsPerJob, 'sqlite jobs/s': r.inproc.sqlite.cpuUsPerJob, 'sqlite/memory': ratio(r.inproc.memory.cpuUsPerJob, r.inproc.sqlite.cpuUsPerJob) },
      { what: 'HTTP, serve process CPU µs per job', 'memory jobs/s': r.http.memory.cpuUsPerJob, 'sqlite jobs/s': r.http.sqlite.cpuUsPerJob, 'sqlite/memory': ratio(r.http.memory.cpuUsPerJob, r.http.sqlite.cpuUsPerJob) },
    ]) + `\nCPU rows: µs per job in the jobs/s columns; the ratio is memory ÷ sqlite, the share of the memory store's rate the CPU allows on the same cores.` + `\nplain SQLite: ${r.limit.insertsPerSec} inserts/s, ${r.limit.updatesPerSec} updates/s; lone job p50 in-process ${r.inproc.memory.loneP50Ms} / ${r.inproc.sqlite.loneP50Ms} ms, HTTP ${r.http.memory.loneP50Ms} / ${r.http.sqlite.loneP50Ms} ms (memory / sqlite)`);
    return r;
  },
  // the SQLite file at a steady state (issue 15 item 3); PACKETFS_FILE_JOBS / PACKETFS_FILE_RESULTS change the size
  'sqlite-file': async () => {
    const r = await benchSqliteFile({ jobs: Number(process.env.PACKETFS_FILE_JOBS ?? 2_000_000), maxResults: Number(process.env.PACKETFS_FILE_RESULTS ?? 300_000) });
    console.log(`\nSQLite file, ${r.jobs.toLocaleString('en')} jobs with ${r.maxResults.toLocaleString('en')} results kept (peaks are since the start)\n` + table(r.samples.map((s) => ({
      jobs: s.jobs, seconds: s.seconds, pages: s.pages, 'peak pages': s.peakPages, 'peak free pages': s.peakFreePages,
      'peak queue': s.peakQueue, 'peak results kept': s.peakKept, 'db MiB': s.dbMiB, 'peak log MiB': s.peakWalMiB,
    }))));
    return r;
  },
  retention: async () => {
    const jobs = Number(process.env.PACKETFS_RETENTION_JOBS ?? 10_000_000);
    const rows = [];
    // one store per process gives each its own idle RSS: PACKETFS_RETENTION_STORES=sqlite node --expose-gc dist/bench/run.js retention
    const stores = (process.env.PACKETFS_RETENTION_STORES ?? 'memory,sqlite').split(',').filter((s): s is 'memory' | 'sqlite' => s === 'memory' || s === 'sqlite');
    for (const store of stores) {
      const r = await benchRetention({ jobs, store, sampleEvery: Number(process.env.PACKETFS_RETENTION_SAMPLE ?? 1_000_000), settleMs: Number(process.env.PACKETFS_RETENTION_SETTLE_MS ?? 1000) });
      console.log(`\n${store}: RSS and file size every ${r.samples[0]?.jobs.toLocaleString('en')} jobs (RSS after a full GC and a ${r.settleMs} ms pause: ${r.forcedGc ? 'yes' : 'no GC, run node --expose-gc'}; 'at once': right after the GC; heap and external: the dispatcher thread's)\n` + table(r.samples.map((s) => ({ jobs: s.jobs, 'RSS MiB': s.rssMiB, 'at once MiB': s.rssAtOnceMiB, 'steady peak so far MiB': s.steadyPeakMiB, 'heap MiB': s.heapMiB, 'heap used MiB': s.heapUsedMiB, 'external MiB': s.externalMiB, 'db MiB': s.dbMiB, 'log MiB': s.walMiB, seconds: s.seconds }))));
      rows.push(r);
    }
    console.log(`\n${jobs.toLocaleString('en')} jobs through the SDK Dispatcher, default retention\n` + table(rows.map((r) => ({
      store: r.store, 'jobs/s': r.jobsPerSec, 'idle RSS MiB': r.idleRssMiB, 'idle heap (used) MiB': `${r.idleHeapMiB} (${r.idleHeapUsedMiB})`, 'peak RSS MiB (at each sample)': r.peakRssMiB, 'peak − idle MiB': r.overIdleMiB, 'at once: peak − idle MiB': r.atOnceOverIdleMiB,
      'steady peak MiB (every 250 ms)': r.steadyPeakMiB, 'steady peak − idle MiB': r.steadyOverIdleMiB,
    }))));
    return { jobs, rows };
  },
  redis: async () => {
    const r = await benchRedis();
    console.log(`\nRedis ${r.redisVersion}: PacketFS vs BullMQ ${r.bullmqVersion}, 100,000 64-byte counteq jobs, end to end\n` + redisBenchTable(r.rows));
    return r;
  },
  // scale-out (issue 11): 1-3 dispatchers on one redis-server and on a 3-master cluster (3 shards), BullMQ in the same run
  'redis-scale': async () => {
    const r = await benchRedis({ jobs: Number(process.env.BENCH_JOBS ?? 50_000), producers: ['store'], topologies: ['standalone', 'cluster'] });
    console.log(`\nRedis ${r.redisVersion}: scale-out, PacketFS vs BullMQ ${r.bullmqVersion}, 64-byte counteq jobs, end to end\n` + redisBenchTable(r.rows));
    return r;
  },
  'redis-profile': async () => {
    const r = await profileRedis(Number(process.env.BENCH_JOBS ?? 100_000));
    console.log(`\nRedis store alone, per job (${r.jobs.toLocaleString('en')} jobs, batches of 1,000)\n` + table(r.rows.map((x) => ({ ...x })))
      + `\nbytes per finished job: ${r.bytesPerFinishedJob}; ${JSON.stringify(r.keyBytes)}`);
    return r;
  },
  // Redis instructions per job under callgrind (needs valgrind): the store's cost, independent of machine load
  'redis-instructions': async () => {
    const r = await redisInstructions(Number(process.env.BENCH_JOBS ?? 3000));
    console.log(`\nRedis store alone, instructions Redis executes per job (callgrind, ${r.jobs.toLocaleString('en')} jobs, batches of 1,000)\n` + table(r.rows.map((x) => ({ ...x }))));
    return r;
  },
  runtimes: async () => {
    const r = await benchRuntimes();
    console.log(`\nremote runtimes (each in its own process; loopback fetch ceiling ${r.directFetchMBPerSec.toFixed(0)} MB/s)\n` + table(r.rows.map((x) => ({
      runtime: x.runtime, 'tiny jobs/s (100/req)': x.tinyJobsPerSec, 'tiny jobs/s (1000/req)': x.tinyJobsPerSecBatch1000, 'crc32c MB/s (1 MiB windows)': x.crcMBPerSec,
    }))));
    return r;
  },
  browser: async () => {
    const r = await benchBrowser();
    console.log(`\none headless Chromium tab as a volunteer (${r.workers} workers): crc32c over blob windows vs the tab's plain read of them\n` + table(r.crc32c.map((c) => ({
      'window MiB': c.windowBytes / 1024 / 1024, windows: c.windows, 'crc32c MB/s (tab, via dispatcher)': c.mbPerSec, 'plain read MB/s (tab, limit)': c.tabReadMbPerSec,
    }))) + `\ntiny jobs: ${r.tiny.jobs} at ${Math.round(r.tiny.jobsPerSec)} jobs/s`);
    return r;
  },
  dashboard: async () => {
    const r = await benchDashboard();
    console.log(`\ndashboard: in-process throughput with ${r.pages} dashboard streams open vs none (ABBA rounds of ${r.jobsPerRound} jobs)\n` + table([
      { 'median jobs/s, none': r.medianWithout, [`median jobs/s, ${r.pages} streams`]: r.medianWith, 'cost %': r.costPercent, 'frame ms (median)': r.frameMsMedian,
        'idle CPU ms/s, none': r.idleCpuMsPerSecWithout, [`idle CPU ms/s, ${r.pages} streams`]: r.idleCpuMsPerSecWith },
    ]) + `\nrounds without: ${r.withoutJobsPerSec.join(', ')}; with: ${r.withJobsPerSec.join(', ')}; frames per stream in a round: ${r.framesPerStreamLastRound.join(', ')}`);
    return r;
  },
  nodes: async () => {
    // Same run, same machine: unverified (what main did before verification), trusted pool, 30% liars, and a fixed quorum of 2 like BOINC's.
    const runs = [
      { label: 'unverified (verify: none)', r: await benchNodes({ verify: 'none' }) },
      { label: '(a) all honest, trusted', r: await benchNodes({ warmup: true }) },
      { label: '(b) 30% liars, from scratch', r: await benchNodes({ liars: 0.3 }) },
      { label: 'fixed quorum of 2 (verify: quorum)', r: await benchNodes({ verify: 'quorum', warmup: true }) },
    ];
    const base = runs[0]!.r.jobsPerSec;
    console.log(`\n${runs[0]!.r.nodes} simulated volunteer nodes (${runs[0]!.r.slots} slots each) in a separate load process\n` + table(runs.map(({ label, r }) => ({
      run: label, jobs: r.jobs, failed: r.failed, wrong: r.wrong, 'jobs/s': Math.round(r.jobsPerSec), 'vs unverified': `${(r.jobsPerSec / base).toFixed(2)}x`,
      'executions/job': r.executionsPerJob, 're-runs': r.speculativeReruns, banned: r.convicted, corrected: r.corrected, 'p99 ms': r.latencyMs.p99, 'RSS peak MiB': r.peakRssMiB,
    }))));
    return runs;
  },
  blobs: async () => {
    const r = await benchBlobHttp();
    console.log(`\nblob store over HTTP, loopback, one keep-alive connection, ${r.blobMiB} MiB blob, Node client (best of ${r.rounds})\n` + table(
      ([['packetfs serve', r.packetfs], ['plain Node file server (peer)', r.peer]] as const).map(([server, x]) => ({
        server, 'PUT MB/s': x.putMBPerSec, [`GET ${r.windowMiB} MiB Range MB/s`]: x.rangeGetMBPerSec, 'Range MB/s, curl client': x.rangeGetCurlMBPerSec ?? 'no curl', 'ms per window': x.windowRequestMs, 'whole GET MB/s': x.wholeGetMBPerSec,
        'CPU ms/MiB PUT': x.putCpuMsPerMiB, 'CPU ms/MiB Range GET': x.rangeGetCpuMsPerMiB, 'CPU ms/MiB whole GET': x.wholeGetCpuMsPerMiB,
      }))) + `\nPUT: packetfs serve with its default --fsync normal (bytes in the OS before the 201, on disk right after); the peer fsyncs before it answers` +
      `\ndisk, write + fsync of the same bytes from memory (durable-PUT ceiling): ${r.diskFsyncMBPerSec} MB/s`);
    const limit = r.curlPut?.find((p) => p.target === 'C limit: write-sha256');
    console.log(r.curlPut === null ? '\nPUT with curl: no curl' : `\nPUT with curl -T from the page cache, one connection, ${r.blobMiB} MiB (median of ${r.rounds}, targets in turn)\n` + table(r.curlPut.map((p) => ({
      target: p.target, 'PUT MB/s': p.mbPerSec, 'x C write-sha256': limit === undefined ? '' : (p.mbPerSec / limit.mbPerSec).toFixed(2),
      'server CPU ms/MiB': p.serverCpuMsPerMiB, 'curl CPU ms/MiB': p.clientCpuMsPerMiB,
    }))) + (r.limitMissing === null ? '' : `\nno C limit: ${r.limitMissing}`) +
      (r.memoryTouch === null ? '' : `\nmemset of fresh anonymous memory ${r.memoryTouch.firstTouchMsPerMiB} ms/MiB, of the same pages again ${r.memoryTouch.secondTouchMsPerMiB} ms/MiB (what each new page of a growing page cache costs)`));
    return r;
  },
  split: async () => {
    const r = await benchSplit();
    console.log(`\n${r.blobMiB} MiB blob, crc32c: split "auto" over local + 4 volunteers + workerd vs one local single pass (best of 3)\n` + table([
      { 'single pass GB/s': r.singleGBPerSec, 'split GB/s': r.splitGBPerSec, 'split, local only GB/s': r.localSplitGBPerSec, windows: r.windows, 'window MiB': r.windowMiB, 'windows per substrate': JSON.stringify(r.perSubstrate) },
    ]));
    return r;
  },
  budget: async () => {
    const gate = await benchGate();
    console.log(`\nbudget gate alone: ns per job of SubstrateRegistry.place(), batches of ${gate.jobsPerCall}, best of 3 × ${gate.calls} calls\n` + table(gate.rows.map((row) => ({ case: row.case, 'ns/job': row.nsPerJob }))));
    const r = { ...await benchBudget(), gate };
    console.log(`\nbudget gate on the hot path: in-process jobs/s, memory store + local pool, ${r.jobs.toLocaleString('en')} 64-byte jobs, median of ${r.rounds} alternating rounds\n` + table(r.rows.map((row) => ({ variant: row.variant, 'jobs/s': row.jobsPerSec, 'vs no budget': row.vsNoBudget, samples: row.samples.join(' ') }))));
    return r;
  },
  rss: async () => {
    const r = await benchDataUrlRss();
    console.log(`\n${r.jobs} concurrent data_url jobs with no length, ${r.fileMiB} MiB each: \`packetfs serve\` RSS (limit: growth < 512 MiB)\n` + table([
      { jobs: r.jobs, failed: r.failed, seconds: r.seconds, 'MB/s': r.mbPerSec, 'RSS before MiB': r.rssBeforeMiB, 'RSS peak MiB': r.rssPeakMiB, 'growth MiB': r.growthMiB },
    ]));
    return r;
  },
};

function ratio(a: number, b: number): string {
  return b > 0 ? (a / b).toFixed(2) + '×' : '';
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length > 0 ? wanted : Object.keys(suites);
  for (const n of names) if (!suites[n]) throw new Error(`unknown bench suite '${n}'; known: ${Object.keys(suites).join(', ')}`);
  console.log(`node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'})`);
  const results: Record<string, unknown> = { node: process.version, cores: availableParallelism(), at: new Date().toISOString() };
  for (const n of names) results[n] = await suites[n]!();
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/latest.json', JSON.stringify(results, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
