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
export function spawnModuleWorker(base: string, relative: string, options: WorkerOptions): Worker {
  const fromSource = base.endsWith('.ts');
  const url = new URL(relative + (fromSource ? '.ts' : '.js'), base);
  if (!fromSource) return new Worker(url, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
