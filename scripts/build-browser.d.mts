/** Types of build-browser.mjs for TypeScript callers (tests, bench). */
export function buildBrowser(opts?: { outdir?: string; minify?: boolean }): Promise<string[]>;
