import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../src/server/routes/browser-assets.js';
import { processCpuMs } from './serve-process.js';

const run = promisify(execFile);

/** One curl PUT: MB/s, and CPU ms per MiB of the server (all its threads) and of curl. */
export interface CurlPut { mbPerSec: number; serverCpuMsPerMiB: number; clientCpuMsPerMiB: number }

/**
 * PUTs `file` (already in the page cache) to `url` with curl over one
 * connection: `-T` streams it (read + send, as a client uploading a file
 * does), `Expect:` is cleared so curl does not wait for a 100 Continue.
 * The rate is curl's own (bytes / time_total, which ends with the reply, so
 * a server's fsync before its 201 counts); the client's CPU comes from the
 * shell's `times` (its children's user + system time). Null without curl.
 */
export async function curlPut(url: string, file: string, bytes: number, serverPid: number): Promise<CurlPut | null> {
  const script = 'curl -s -S -f -o /dev/null -w "%{size_upload} %{time_total}\\n" -H "Expect:" -H "content-type: application/octet-stream" -T "$1" "$2" || exit 1; times';
  const cpu0 = await processCpuMs(serverPid);
  let stdout: string;
  try {
    ({ stdout } = await run('sh', ['-c', script, 'sh', file, url]));
  } catch {
    return null;
  }
  const serverMs = await processCpuMs(serverPid) - cpu0;
  const [transfer = '', , children = ''] = stdout.trim().split('\n');
  const [sent, seconds] = transfer.split(' ').map(Number);
  if (sent !== bytes || !(seconds! > 0)) throw new Error(`curl PUT to ${url}: sent ${sent} of ${bytes} bytes`);
  // `times` prints the shell's own times, then its children's: "0m0.004000s 0m0.108000s"
  const clientMs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
  const mib = bytes / 1024 / 1024;
  return { mbPerSec: bytes / seconds! / 1e6, serverCpuMsPerMiB: serverMs / mib, clientCpuMsPerMiB: clientMs / mib };
}

export type PutLimitMode = 'discard' | 'write' | 'write-sha256';

/** A running bench/blob-put-limit.c server. */
export interface PutLimit { mode: PutLimitMode; url: string; pid: number; stop(): void }

/**
 * Compiles bench/blob-put-limit.c into `work` and starts one server per mode
 * (files of `write` modes go to work/<mode>); null where cc or libcrypto's
 * headers are missing (`why` says which).
 */
export async function startPutLimits(work: string): Promise<{ limits: PutLimit[]; touch(mib: number): Promise<MemoryTouch> } | { limits: null; why: string }> {
  const root = packageRoot();
  const binary = join(work, 'blob-put-limit');
  await mkdir(work, { recursive: true });
  try {
    await run('cc', ['-O2', '-o', binary, join(root, 'bench/blob-put-limit.c'), '-lcrypto']);
  } catch (err) {
    return { limits: null, why: `cc failed: ${String((err as Error).message).split('\n')[0]}` };
  }
  const limits: PutLimit[] = [];
  for (const mode of ['discard', 'write', 'write-sha256'] as const) {
    const dir = join(work, mode);
    await mkdir(dir, { recursive: true });
    const child = spawn(binary, [mode, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await firstLine(child);
    limits.push({ mode, url: `http://127.0.0.1:${port}/`, pid: child.pid!, stop: () => child.kill('SIGTERM') });
  }
  const touch = async (mib: number): Promise<MemoryTouch> => JSON.parse((await run(binary, ['touch', String(mib)])).stdout) as MemoryTouch;
  return { limits, touch };
}

/** ms per MiB to memset fresh anonymous memory, and the same pages again (blob-put-limit.c touch) */
export interface MemoryTouch { firstTouchMsPerMiB: number; secondTouchMsPerMiB: number }

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`blob-put-limit exited with ${code}`)));
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
  });
}
