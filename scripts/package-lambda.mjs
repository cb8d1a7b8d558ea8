#!/usr/bin/env node
/**
 * Packs the built Lambda bundle (dist/runtimes/lambda: handler.js and the
 * package.json that makes it ESM) into dist/lambda.zip, ready for
 * `aws lambda update-function-code --zip-file fileb://dist/lambda.zip`
 * with handler `handler.handler` on nodejs20.x. Run after
 * scripts/build-runtimes.mjs.
 *
 * The zip is written here rather than by a zip tool, which Lambda build
 * hosts and CI images often lack: local headers, deflate-raw data, a central
 * directory and its end record (PKWARE APPNOTE 4.3). The checksum is the
 * zip format's CRC-32 (zlib.crc32), not the CRC-32C the ops compute.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILES = ['handler.js', 'package.json'];
/** 1980-01-01 00:00 in MS-DOS date format: fixed, so the same bundle gives the same zip. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DEFLATE = 8;
const VERSION = 20;

/** Writes the zip of `files` ({name, data}) to `zipPath`. */
export async function writeZip(zipPath, files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const packed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(DEFLATE, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | VERSION, 4); // made by: Unix, so the mode below applies
    central.writeUInt16LE(VERSION, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(DEFLATE, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--: Lambda must read it
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  await writeFile(zipPath, Buffer.concat([...locals, directory, end]));
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
