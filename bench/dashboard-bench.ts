import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Dispatcher } from '../src/dispatcher/dispatcher.js';
import { silentLogger } from '../src/logger.js';
import { startServer } from '../src/server/server.js';
import { runBatches, untilDrained } from './dispatcher-bench.js';
import { siblingModule } from './sibling-module.js';
import { tinyJobs } from './stats.js';

/**
 * What the dashboard costs the dispatcher: one in-process Dispatcher behind
 * its HTTP server; rounds of N tiny jobs through the SDK, alternately with
 * no dashboard open and with `pages` streams open (read by a child process,
 * so reading them does not load this one), in the order ABBA ABBA… so drift
 * in the machine's load hits both sides alike. Reported: median jobs/s of
 * each side and their ratio. Because the A/B difference drowns in this
 * machine's noise, also the direct cost: the median time to build one frame
 * (collect, merge, serialise) with the store holding every job of the run,
 * which the dispatcher spends once a second however many pages are open;
 * and the process's CPU time per second while idle, streams open or not.
 */
export async function benchDashboard(opts: { pages?: number; jobs?: number; pairs?: number; idleSeconds?: number } = {}) {
  const pages = opts.pages ?? 5;
  const perRound = opts.jobs ?? 100_000;
  const pairs = opts.pairs ?? 8;
  const dir = await mkdtemp(join(tmpdir(), 'pfs-bench-dash-'));
  const d = await Dispatcher.create({ dataDir: dir, logger: silentLogger });
  const server = await startServer(d, { host: '127.0.0.1', port: 0 });
  const without: number[] = [];
  const withPages: number[] = [];
  let framesPerStream: number[] = [];
  const readers = startReaders(server.url, pages);
  try {
    await runBatches(d, tinyJobs(20_000, 'warm'), 10_000);
    const order = Array.from({ length: pairs * 2 }, (_, i) => [false, true, true, false][i % 4]!);
    for (let r = 0; r < order.length; r++) {
      if (order[r]) await readers.ask('open');
      const jobs = tinyJobs(perRound, `r${r}`);
      const t0 = performance.now();
      for (let i = 0; i < jobs.length; i += 10_000) await d.submitJobs(jobs.slice(i, i + 10_000));
      await untilDrained(d);
      const rate = perRound / ((performance.now() - t0) / 1000);
      (order[r] ? withPages : without).push(rate);
      if (order[r]) framesPerStream = (JSON.parse(await readers.ask('close')) as { frames: number[] }).frames;
    }
    const frameMs: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      JSON.stringify(await d.live.frame());
      frameMs.push(performance.now() - t);
    }
    const idleSeconds = opts.idleSeconds ?? 10;
    const idleWithout = await cpuMsPerSecond(idleSeconds);
    await readers.ask('open');
    const idleWith = await cpuMsPerSecond(idleSeconds);
    await readers.ask('close');
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      pages, jobsPerRound: perRound, rounds: order.length,
      withoutJobsPerSec: without.map(Math.round), withJobsPerSec: withPages.map(Math.round),
      medianWithout: Math.round(med(without)), medianWith: Math.round(med(withPages)),
      costPercent: 100 * (1 - med(withPages) / med(without)),
      framesPerStreamLastRound: framesPerStream,
      frameMsMedian: med(frameMs),
      jobsInStore: 20_000 + perRound * order.length,
      idleCpuMsPerSecWithout: idleWithout, idleCpuMsPerSecWith: idleWith,
    };
  } finally {
    readers.stop();
    await server.close();
    await d.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The reader child: `ask(line)` sends a command and resolves with its one-line answer. */
function startReaders(url: string, pages: number): { ask(line: string): Promise<string>; stop(): void } {
  const child = siblingModule(import.meta.url, 'dashboard-bench-readers');
  const proc = spawn(process.execPath, [...child.execArgv, child.path, url, String(pages)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  proc.once('exit', (code) => { for (const w of waiting.splice(0)) w(`exited ${code}`); });
  return {
    ask(line) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        proc.stdin!.write(line + '\n');
      });
    },
    stop() { proc.stdin!.end(); },
  };
}

/** This process's CPU time (user + system) per wall second over `seconds` of idling. */
async function cpuMsPerSecond(seconds: number): Promise<number> {
  const start = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / ((performance.now() - t0) / 1000);
}
