import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { PacketFSError } from '../../errors.js';
import type { JobStatus } from '../../job/types.js';
import { openStoreForReading } from './open-database.js';
import { STATE } from './schema.js';

/**
 * Operations on a store file from outside the dispatcher that uses it
 * (`packetfs store info`, `packetfs store backup`). Both read through a
 * separate connection, which WAL mode allows while a dispatcher writes.
 */
export interface StoreInfo {
  path: string;
  /** the database file plus its write-ahead log */
  bytes: number;
  db_bytes: number;
  wal_bytes: number;
  /** jobs by status as the file has them; leased jobs count as queued (leases are held in the dispatcher's memory) */
  counts: Record<JobStatus, number>;
  /** of them, waiting out a retry delay */
  delayed: number;
  oldest_queued: { job_id: string; enqueued_at: string; age_s: number } | null;
  free_pages: number;
  page_size: number;
}

export function storeInfo(dataDir: string, now = Date.now()): StoreInfo {
  const { db, path } = openStoreForReading(dataDir);
  try {
    const counts: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    let delayed = 0;
    // one read transaction, so the numbers belong to one moment
    const read = db.transaction(() => {
      const rows = db.prepare('SELECT state, count(*) AS n FROM jobs WHERE done = 0 OR due_at > ? GROUP BY state').all(now) as Array<{ state: number; n: number }>;
      for (const { state, n } of rows) {
        if (state === STATE.ready || state === STATE.delayed) counts.queued += n;
        if (state === STATE.delayed) delayed = n;
        if (state === STATE.succeeded) counts.succeeded = n;
        if (state === STATE.failed) counts.failed = n;
        if (state === STATE.cancelled) counts.cancelled = n;
      }
      const oldest = db.prepare('SELECT id, enqueued_at FROM jobs WHERE done = 0 ORDER BY seq LIMIT 1').get() as { id: string; enqueued_at: number } | undefined;
      return { oldest };
    });
    const { oldest } = read();
    const dbBytes = fileSize(path);
    const walBytes = fileSize(path + '-wal');
    return {
      path,
      bytes: dbBytes + walBytes,
      db_bytes: dbBytes,
      wal_bytes: walBytes,
      counts,
      delayed,
      oldest_queued: oldest === undefined ? null
        : { job_id: oldest.id, enqueued_at: new Date(oldest.enqueued_at).toISOString(), age_s: Math.max(0, Math.round((now - oldest.enqueued_at) / 1000)) },
      free_pages: db.pragma('freelist_count', { simple: true }) as number,
      page_size: db.pragma('page_size', { simple: true }) as number,
    };
  } finally {
    db.close();
  }
}

/**
 * Copies the store to `dest` with SQLite's online backup API: a consistent
 * snapshot while a dispatcher keeps writing. The copy is made in one step
 * (one read transaction: a writer in another process would otherwise restart
 * it), into `<dest>.partial`, renamed into place when complete.
 */
export async function backupStore(dataDir: string, dest: string): Promise<{ path: string; bytes: number }> {
  const target = resolve(dest);
  if (existsSync(target)) throw new PacketFSError('CONFLICT', `${target} exists; backup never overwrites a file`, { path: 'file' });
  const partial = target + '.partial';
  const { db } = openStoreForReading(dataDir);
  try {
    rmSync(partial, { force: true });
    await db.backup(partial, { progress: () => Number.MAX_SAFE_INTEGER });
  } catch (err) {
    rmSync(partial, { force: true });
    if (err instanceof PacketFSError) throw err;
    throw new PacketFSError('INTERNAL', `backup to ${target} failed: ${(err as Error).message}`, { path: 'file', cause: err });
  } finally {
    db.close();
  }
  renameSync(partial, target);
  return { path: target, bytes: fileSize(target) };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
