import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { BlobInfo, Client } from '../sdk/client.js';
import { ProgressBar } from './progress-bar.js';
import { UsageError } from './usage-error.js';

/** Streams a local file to the blob store, with a progress bar on a terminal. `flag` names the option at fault. */
export async function uploadFile(path: string, client: Client, flag: string): Promise<BlobInfo> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`, flag);
  }
  const bar = new ProgressBar('upload');
  try {
    return await client.uploadBlob(createReadStream(path), { onProgress: (sent) => bar.update(sent, size) });
  } finally {
    bar.done();
  }
}
