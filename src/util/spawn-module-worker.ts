import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `relative` to `base` (pass
 * `import.meta.url`), named without its extension: compiled, the caller is
 * .js next to a compiled .js worker; under tsx both are .ts sources. From
 * source, tsx's `--import` hook only registers itself on the main thread
 * (worker threads inherit the flag but not the hook), so the thread first
 * registers tsx through its API and then imports the TypeScript entry.
 * Compiled code needs none of that.
 */
/**
 * Young-generation cap for the long-lived worker threads that move many
 * short-lived objects (the local pool, the SQLite writer). V8 lets a busy
 * thread's young generation grow to 48 MiB and keeps it; a forced GC on the
 * main thread never reaches a worker, so each thread held its high-water
 * mark (see BENCHMARKS.md, SQLite store, RSS). With 16 MiB a scavenge comes
 * sooner and costs the same: it copies only survivors, and in these threads
 * almost nothing survives a batch. Only the young generation is capped: a
 * batch with large inline data lands in the old generation, which keeps
 * V8's default limit, so no allowed batch runs a worker out of memory.
 */
export const WORKER_YOUNG_GENERATION_MB = 16;

export function spawnModuleWorker(base: string, relative: string, options: WorkerOptions): Worker {
  const fromSource = base.endsWith('.ts');
  const url = new URL(relative + (fromSource ? '.ts' : '.js'), base);
  if (!fromSource) return new Worker(url, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
