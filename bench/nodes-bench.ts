import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { siblingModule } from './sibling-module.js';
import { summarize } from './stats.js';

export interface NodesBenchOptions {
  /** simulated node connections; default 10,000 */
  nodes?: number;
  /** slots each node declares; default 4 */
  slots?: number;
  /** tiny jobs run through them; default 100,000 */
  jobs?: number;
  /** jobs per submit; default 5,000 */
  chunk?: number;
  /** chunks outstanding at once (closed loop); default 4 */
  window?: number;
  /** how jobs ask to be verified; default auto */
  verify?: 'auto' | 'quorum' | 'none';
  /** fraction of nodes that lie; default 0 */
  liars?: number;
  /** run jobs until every node is trusted before measuring; default false */
  warmup?: boolean;
}

export interface NodesBenchResult {
  nodes: number;
  slots: number;
  jobs: number;
  failed: number;
  connectSeconds: number;
  seconds: number;
  jobsPerSec: number;
  /** submit → stored result, ms */
  latencyMs: { p50: number; p99: number; mean: number };
  /** dispatcher RSS with every node connected and idle, and its peak during the run, MiB */
  idleRssMiB: number;
  peakRssMiB: number;
  loadRssMiB: number;
  verify: string;
  liars: number;
  warmupJobs: number;
  /** executions (node + arbiter, canaries included) per accepted result in the measured run */
  executionsPerJob: number;
  /** stored results that differ from the right answer at the end */
  wrong: number;
  convicted: number;
  corrected: number;
  trustedNodes: number;
  /** assignments re-run elsewhere because a node was slow, in the measured run */
  speculativeReruns: number;
}

const here = (name: string): string => siblingModule(import.meta.url, name).path;

/**
 * The 10,000-node scale benchmark: a dispatcher process and a separate load
 * process holding N simulated node connections (all on 127.0.0.1), then
 * `jobs` tiny inline jobs pinned to `volunteer` run through them.
 */
export async function benchNodes(opts: NodesBenchOptions = {}): Promise<NodesBenchResult> {
  const nodes = opts.nodes ?? 10_000;
  const slots = opts.slots ?? 4;
  const jobs = opts.jobs ?? 100_000;
  const execArgv = [...siblingModule(import.meta.url, 'nodes-bench-dispatcher').execArgv, '--max-old-space-size=4096', ...(process.env.NODES_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [])];
  const dispatcher = fork(here('./nodes-bench-dispatcher'), [opts.verify ?? 'auto'], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let load: ChildProcess | undefined;
  try {
    const { url } = await reply<{ url: string }>(dispatcher, 'listening');
    load = fork(here('./nodes-bench-load'), [`${url.replace('http', 'ws')}/v1/nodes/ws`, String(nodes), String(slots), String(opts.liars ?? 0)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const connected = await reply<{ nodes: number; seconds: number; rss: number }>(load, 'connected');
    dispatcher.send({ type: 'rss' });
    const idle = await reply<{ rss: number; nodes: number }>(dispatcher, 'rss');
    if (idle.nodes !== nodes) throw new Error(`only ${idle.nodes} of ${nodes} nodes connected`);
    dispatcher.send({ type: 'run', jobs, chunk: opts.chunk ?? 5000, window: opts.window ?? 4, warmup: opts.warmup ?? false });
    const done = await reply<{
      seconds: number; latencies: Record<string, number>; failed: number; peakRss: number; warmupJobs: number;
      executions: number; accepted: number; wrong: number; convicted: number; corrected: number; trustedNodes: number; speculativeReruns: number;
    }>(dispatcher, 'done');
    const latencies = Object.values(done.latencies);
    const mib = (b: number): number => Math.round(b / 2 ** 20);
    return {
      nodes, slots, jobs, failed: done.failed,
      connectSeconds: connected.seconds, seconds: done.seconds, jobsPerSec: jobs / done.seconds,
      latencyMs: summarize(latencies), idleRssMiB: mib(idle.rss), peakRssMiB: mib(done.peakRss), loadRssMiB: mib(connected.rss),
      verify: opts.verify ?? 'auto', liars: opts.liars ?? 0, warmupJobs: done.warmupJobs,
      executionsPerJob: done.accepted === 0 ? 0 : Math.round(done.executions / done.accepted * 1000) / 1000,
      wrong: done.wrong, convicted: done.convicted, corrected: done.corrected, trustedNodes: done.trustedNodes, speculativeReruns: done.speculativeReruns,
    };
  } finally {
    load?.send({ type: 'stop' });
    dispatcher.send({ type: 'stop' });
    await Promise.all([exited(dispatcher), load ? exited(load) : undefined]);
  }
}

function reply<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: { type: string }): void => {
      if (msg.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(msg as T);
    };
    const onExit = (code: number | null): void => reject(new Error(`bench child exited (${code}) before sending ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = (name: string): number | undefined => {
    const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
    return arg === undefined ? undefined : Number(arg.split('=')[1]);
  };
  const opts: NodesBenchOptions = {};
  for (const key of ['nodes', 'slots', 'jobs', 'chunk', 'window', 'liars'] as const) {
    const v = n(key);
    if (v !== undefined) opts[key] = v;
  }
  const verify = process.argv.find((a) => a.startsWith('--verify='))?.split('=')[1];
  if (verify === 'auto' || verify === 'quorum' || verify === 'none') opts.verify = verify;
  if (process.argv.includes('--warmup')) opts.warmup = true;
  console.log(JSON.stringify(await benchNodes(opts), null, 2));
}
