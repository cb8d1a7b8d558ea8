#!/usr/bin/env node
/**
 * Builds the native addons with the system C compiler and the Node-API
 * headers that ship with Node (Debian's nodejs package installs them in
 * /usr/include/node). No node-gyp, nothing downloaded. Both are optional:
 * without them the build says so and the code falls back.
 *   native/addon.c          -> dist/native/kernels.node: the kernels for Node
 *                              threads (else @node-rs/crc32 or WebAssembly)
 *   native/upload-writer.c  -> dist/native/upload-writer.node: blob uploads'
 *                              writes and SHA-256 + CRC-32C on pool threads
 *                              with the system libcrypto (needs libssl-dev's
 *                              headers; else fs writes and node:crypto on
 *                              the main thread)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADDON_PATH = path.join(ROOT, 'dist/native/kernels.node');
export const UPLOAD_ADDON_PATH = path.join(ROOT, 'dist/native/upload-writer.node');

/** Where node_api.h lives for this Node: beside the binary's prefix, or the system include dir. */
function nodeIncludeDir() {
  const candidates = [path.resolve(path.dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((dir) => existsSync(path.join(dir, 'node_api.h'))) ?? null;
}

/** The addon is newer than its source and this script: `npm test` builds first every time, and cc -O3 costs a second. */
function upToDate(source, out) {
  if (!existsSync(out)) return false;
  const built = statSync(out).mtimeMs;
  return built >= statSync(source).mtimeMs && built >= statSync(fileURLToPath(import.meta.url)).mtimeMs;
}

function compile(source, out, extra = []) {
  const include = nodeIncludeDir();
  if (include === null) return { built: false, reason: 'no node_api.h found (Node headers not installed)' };
  if (upToDate(path.join(ROOT, source), out)) return { built: true, path: out };
  mkdirSync(path.dirname(out), { recursive: true });
  const compiler = process.env.CC || 'cc';
  try {
    execFileSync(compiler, ['-O3', '-shared', '-fPIC', `-I${include}`, '-o', out, path.join(ROOT, source), ...extra], { stdio: 'pipe' });
  } catch (err) {
    return { built: false, reason: `${compiler} failed: ${String(err.stderr || err.message).trim().split('\n')[0]}` };
  }
  return { built: true, path: out };
}

export function buildNative() {
  return compile('native/addon.c', ADDON_PATH);
}

/** Whether the OpenSSL headers are here: the upload digest links the system libcrypto. */
export function hasOpenSslHeaders() {
  return ['/usr/include/openssl/evp.h', '/usr/local/include/openssl/evp.h'].some((p) => existsSync(p));
}

export function buildUploadAddon() {
  if (!hasOpenSslHeaders()) return { built: false, reason: 'no <openssl/evp.h> (install libssl-dev); uploads are written with fs and hashed with node:crypto' };
  return compile('native/upload-writer.c', UPLOAD_ADDON_PATH, ['-lcrypto']);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const kernels = buildNative();
  console.log(kernels.built ? `native kernels addon: ${path.relative(process.cwd(), kernels.path)}` : `native kernels addon not built: ${kernels.reason}`);
  const upload = buildUploadAddon();
  console.log(upload.built ? `upload writer addon: ${path.relative(process.cwd(), upload.path)}` : `upload writer addon not built: ${upload.reason}`);
}
