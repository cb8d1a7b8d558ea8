import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { PacketFSError } from '../../errors.js';
import type { JobStatus } from '../../job/types.js';
import { openStoreForReading } from './open-database.js';
import { LEASES_KEY, STATE } from './schema.js';
import { LEASE_REPORT_MS } from './writer-protocol.js';

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
  /**
   * jobs by status. Leases live in the memory of the dispatcher holding the
   * store, so the file has its running jobs as queued: `running` is the
   * count that dispatcher last reported (see `dispatcher`), taken out of
   * `queued`; 0 when no dispatcher has the store open.
   */
  counts: Record<JobStatus, number>;
  /** the dispatcher that has the store open, as it last reported itself; null when none is running */
  dispatcher: { pid: number; running: number; reported_at: string; age_s: number } | null;
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
      const leases = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(LEASES_KEY) as string | undefined;
      const oldest = db.prepare('SELECT id, enqueued_at FROM jobs WHERE done <> 3 AND done = 0 ORDER BY seq LIMIT 1').get() as { id: string; enqueued_at: number } | undefined;
      return { oldest, leases };
    });
    const { oldest, leases } = read();
    const dispatcher = liveDispatcher(leases, now);
    if (dispatcher !== null) {
      counts.running = Math.min(dispatcher.running, counts.queued);
      counts.queued -= counts.running;
    }
    const dbBytes = fileSize(path);
    const walBytes = fileSize(path + '-wal');
    return {
      path,
      bytes: dbBytes + walBytes,
      db_bytes: dbBytes,
      wal_bytes: walBytes,
      counts,
      dispatcher,
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

/**
 * The lease report of a dispatcher that still runs: its process exists and
 * it reported within a few report periods. A store removes its report when it
 * closes; one left by a dispatcher that died says nothing any more (its
 * leases ended with it).
 */
function liveDispatcher(report: string | undefined, now: number): StoreInfo['dispatcher'] {
  if (report === undefined) return null;
  let r: { pid?: unknown; at?: unknown; running?: unknown };
  try {
    r = JSON.parse(report) as typeof r;
  } catch {
    return null;
  }
  if (typeof r.pid !== 'number' || typeof r.at !== 'number' || typeof r.running !== 'number') return null;
  if (now - r.at > 3 * LEASE_REPORT_MS || !processExists(r.pid)) return null;
  return { pid: r.pid, running: r.running, reported_at: new Date(r.at).toISOString(), age_s: Math.max(0, Math.round((now - r.at) / 100) / 10) };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
