#!/usr/bin/env node
/**
 * Packs the built Lambda bundle (dist/runtimes/lambda: handler.js and the
 * package.json that makes it ESM) into dist/lambda.zip, ready for
 * `aws lambda update-function-code --zip-file fileb://dist/lambda.zip`
 * with handler `handler.handler` on nodejs20.x. Run after
 * scripts/build-runtimes.mjs.
 *
 * The zip is made by fflate (no zip tool needed: Lambda build hosts and CI
 * images often lack one), deflated at level 9, with a fixed timestamp so the
 * same bundle gives the same zip, and Unix mode rw-r--r-- so Lambda can
 * read the files.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILES = ['handler.js', 'package.json'];
/** The zip format's earliest date (MS-DOS time starts in 1980): fixed, so builds are reproducible. */
const MTIME = new Date(1980, 0, 1);
/** "made by" Unix (3), so the external attributes carry a Unix mode: a regular file, rw-r--r-- */
const UNIX = 3;
const REGULAR_FILE_644 = (0o100644 << 16) >>> 0;

/** Writes the zip of `files` ({name, data}) to `zipPath`. */
export async function writeZip(zipPath, files) {
  const entries = {};
  for (const { name, data } of files) {
    entries[name] = [new Uint8Array(data), { level: 9, mtime: MTIME, os: UNIX, attrs: REGULAR_FILE_644 }];
  }
  await writeFile(zipPath, zipSync(entries));
}

/** Packs dist/runtimes/lambda into `zipPath` (default dist/lambda.zip); returns the path. */
export async function packageLambda({ bundleDir = path.join(ROOT, 'dist/runtimes/lambda'), zipPath = path.join(ROOT, 'dist/lambda.zip') } = {}) {
  const files = [];
  for (const name of FILES) files.push({ name, data: await readFile(path.join(bundleDir, name)) });
  await writeZip(zipPath, files);
  return zipPath;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(path.relative(process.cwd(), await packageLambda()));
}
