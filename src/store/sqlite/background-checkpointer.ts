import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the write-ahead log from a worker thread, with its own
 * connection, so the dispatcher's thread never waits for the copy into the
 * database file and its fsyncs (measured: about a third of the store's time
 * per job when SQLite's automatic checkpoint runs inline after commits).
 *
 * A PASSIVE checkpoint runs every `intervalMs`; it never blocks the writer.
 * The writer keeps SQLite's automatic checkpoint as a backstop at a large
 * log size (schema.ts), reached only if this thread falls behind.
 * State: running until stop(), which ends the thread and waits for it.
 */
export class BackgroundCheckpointer {
  private readonly worker: Worker;

  constructor(dbPath: string, synchronous: 'NORMAL' | 'FULL', intervalMs = 200) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    // a CommonJS script: no file to resolve next to this module, from source (tsx) or compiled
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const Database = require(workerData.module);
      const db = new Database(workerData.path, { fileMustExist: true });
      db.pragma('busy_timeout = 100');
      db.pragma('synchronous = ' + workerData.synchronous);
      const timer = setInterval(() => {
        try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: the next round retries */ }
      }, workerData.intervalMs);
      parentPort.once('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
    `;
    this.worker = new Worker(code, { eval: true, workerData: { module, path: dbPath, synchronous, intervalMs } });
    this.worker.unref();
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // unref'd so it never holds a process open; while stopping, the process must wait for it
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
  }
}
