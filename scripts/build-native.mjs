#!/usr/bin/env node
/**
 * Builds the native kernels addon (native/addon.c) into dist/native/kernels.node
 * with the system C compiler and the Node-API headers that ship with Node
 * (Debian's nodejs package installs them in /usr/include/node). No node-gyp,
 * nothing downloaded. Optional: without a compiler or the headers it says so
 * and the runtime uses @node-rs/crc32 or the WebAssembly kernel instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADDON_PATH = path.join(ROOT, 'dist/native/kernels.node');

/** Where node_api.h lives for this Node: beside the binary's prefix, or the system include dir. */
function nodeIncludeDir() {
  const candidates = [path.resolve(path.dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((dir) => existsSync(path.join(dir, 'node_api.h'))) ?? null;
}

/** The addon is newer than its source and this script: `npm test` builds first every time, and cc -O3 costs a second. */
function upToDate(source) {
  if (!existsSync(ADDON_PATH)) return false;
  const built = statSync(ADDON_PATH).mtimeMs;
  return built >= statSync(source).mtimeMs && built >= statSync(fileURLToPath(import.meta.url)).mtimeMs;
}

export function buildNative() {
  const include = nodeIncludeDir();
  if (include === null) return { built: false, reason: 'no node_api.h found (Node headers not installed)' };
  const source = path.join(ROOT, 'native/addon.c');
  if (upToDate(source)) return { built: true, path: ADDON_PATH };
  mkdirSync(path.dirname(ADDON_PATH), { recursive: true });
  const compiler = process.env.CC || 'cc';
  try {
    execFileSync(compiler, ['-O3', '-shared', '-fPIC', `-I${include}`, '-o', ADDON_PATH, source], { stdio: 'pipe' });
  } catch (err) {
    return { built: false, reason: `${compiler} failed: ${String(err.stderr || err.message).trim().split('\n')[0]}` };
  }
  return { built: true, path: ADDON_PATH };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = buildNative();
  console.log(result.built ? `native kernels addon: ${path.relative(process.cwd(), result.path)}` : `native kernels addon not built: ${result.reason}`);
}
