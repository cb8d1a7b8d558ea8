import type { Plugin } from 'esbuild';

/** Types of build-runtimes.mjs for TypeScript callers (tests, bench). */
export function buildRuntimes(opts?: { outDir?: string; minify?: boolean }): Promise<string[]>;
/** The esbuild plugin that gives a workerd bundle its kernels as a kernels.wasm module import. */
export const workerdKernels: Plugin;
/** The esbuild plugin that gives the Vercel Edge bundle its kernels as a kernels.wasm?module import. */
export const vercelEdgeKernels: Plugin;
