import { accessSync, constants, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { PacketFSError } from '../../errors.js';
import { applySchema, DB_FILE, LOCK_FILE, type FsyncMode } from './schema.js';

export interface OpenedDatabase {
  db: Database.Database;
  /** the lock holder; closing it releases the data dir */
  lock: Database.Database;
  path: string;
}

/**
 * Opens `<dataDir>/packetfs.db` for one writer.
 *
 * Exclusivity: two dispatchers writing one queue would each think they own
 * the in-memory lease state, so a second opener must fail loudly. The lock is
 * a separate small SQLite file held in EXCLUSIVE locking mode: the OS drops
 * the lock when the process dies (kill -9 included), and the database itself
 * stays in normal WAL mode, so `packetfs store info` and `store backup` can
 * read it while a dispatcher runs.
 */
export function openStoreDatabase(dataDir: string, fsync: FsyncMode): OpenedDatabase {
  const dir = resolve(dataDir);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw unwritable(dir, err);
  }
  const lock = acquireLock(join(dir, LOCK_FILE), dir);
  const path = join(dir, DB_FILE);
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma('busy_timeout = 5000');
    applySchema(db, fsync);
    // this connection only reads once the writer thread runs, and in WAL mode its cache is dropped whenever
    // another connection has committed: a big cache would only hold memory after a scan (startup, list)
    db.pragma('cache_size = -4096');
    return { db, lock, path };
  } catch (err) {
    db?.close();
    lock.close();
    if (err instanceof PacketFSError) throw err;
    if (isCode(err, 'SQLITE_CANTOPEN') || isCode(err, 'SQLITE_READONLY') || isCode(err, 'SQLITE_PERM')) throw unwritable(path, err);
    throw new PacketFSError('STORE_UNAVAILABLE', `cannot open the job store ${path}: ${(err as Error).message}`, { path: 'data_dir', cause: err });
  }
}

/**
 * Opens an existing store file to read it (store info, backup) beside a
 * running dispatcher: never takes the lock, and query_only forbids writes.
 * Not `readonly`: a WAL reader must be able to create the -shm file when
 * no dispatcher has the store open.
 */
export function openStoreForReading(dataDir: string): { db: Database.Database; path: string } {
  const path = join(resolve(dataDir), DB_FILE);
  try {
    const db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.pragma('query_only = ON');
    return { db, path };
  } catch (err) {
    throw new PacketFSError('NOT_FOUND', `no job store at ${path}: ${(err as Error).message}`, { path: 'data_dir', cause: err });
  }
}

function acquireLock(lockPath: string, dir: string): Database.Database {
  let lock: Database.Database;
  try {
    lock = new Database(lockPath);
  } catch (err) {
    throw unwritable(lockPath, err);
  }
  try {
    lock.pragma('busy_timeout = 0');
    // no journal file beside it: the one row it holds is not worth one
    lock.pragma('journal_mode = MEMORY');
    lock.pragma('locking_mode = EXCLUSIVE');
    // a write takes the exclusive lock; EXCLUSIVE locking mode keeps it until close
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder;');
    lock.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    return lock;
  } catch (err) {
    lock.close();
    if (isCode(err, 'SQLITE_BUSY') || isCode(err, 'SQLITE_LOCKED')) {
      throw new PacketFSError('STORE_LOCKED',
        `the job store in ${dir} is in use by another packetfs process (serve or an SDK Dispatcher); one data dir serves one dispatcher — stop the other one or use another --data-dir`,
        { path: 'data_dir', cause: err });
    }
    if (isCode(err, 'SQLITE_READONLY') || isCode(err, 'SQLITE_CANTOPEN')) throw unwritable(lockPath, err);
    throw err;
  }
}

function unwritable(path: string, err: unknown): PacketFSError {
  return new PacketFSError('DATA_DIR_UNWRITABLE',
    `the data dir is not writable: ${path} (${(err as Error).message}); choose another --data-dir or fix its permissions`,
    { path: 'data_dir', cause: err });
}

function isCode(err: unknown, code: string): boolean {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' && c.startsWith(code);
}
