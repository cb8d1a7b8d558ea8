/**
 * Skips an esbuild step whose output is newer than everything it was built
 * from. `npm test` builds before it runs, and the browser and runtime tests
 * ask for their bundles again in every test process; rebuilding unchanged
 * bundles cost a few seconds of CPU each time on a 2-core machine.
 *
 * A stamp (JSON, written last, after every output) records the build's
 * options, its outputs and its inputs: the files esbuild's metafile names,
 * plus the extra files the caller read (copied assets, the build script,
 * package-lock.json, so that `npm install` of another dependency version
 * rebuilds even though npm gives unpacked files old mtimes). The build is
 * fresh while the stamp exists with the same options, every output exists,
 * and no input is newer than the stamp or missing. Paths in the stamp are
 * relative to the repository root, and stamps live in dist/.stamps/, outside
 * the folders `npm pack` ships.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';

/** The outputs (absolute) of a fresh earlier build with these options, or null when it must run again. */
export async function freshOutputs(root, stampPath, options) {
  let stamp;
  try {
    stamp = JSON.parse(await readFile(stampPath, 'utf8'));
  } catch {
    return null;
  }
  if (JSON.stringify(stamp.options) !== JSON.stringify(options)) return null;
  try {
    const builtAt = (await stat(stampPath)).mtimeMs;
    const inputs = await Promise.all(stamp.inputs.map((file) => stat(resolve(root, file))));
    if (inputs.some((s) => s.mtimeMs > builtAt)) return null;
    await Promise.all(stamp.outputs.map((file) => stat(resolve(root, file))));
  } catch {
    return null;
  }
  return stamp.outputs.map((file) => resolve(root, file));
}

/** Absolute input paths of esbuild metafiles (their keys are relative to the build's absWorkingDir, `root`). */
export function metafileInputs(root, metafiles) {
  return metafiles.flatMap((meta) => Object.keys(meta.inputs).filter((key) => !key.includes(':')).map((key) => resolve(root, key)));
}

/** Records a finished build (absolute paths in); call after every output is written. */
export async function writeStamp(root, stampPath, options, inputs, outputs) {
  const rel = (files) => files.map((file) => relative(root, file));
  await mkdir(dirname(stampPath), { recursive: true });
  await writeFile(stampPath, JSON.stringify({ options, inputs: [...new Set(rel(inputs))].sort(), outputs: rel(outputs) }, null, 1) + '\n');
}
