import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { PacketFSError } from '../../errors.js';
import { spawnModuleWorker } from '../../util/spawn-module-worker.js';
import { TextBufferPool } from './text-batch.js';
import type { WriterData, WriterOp, WriterReplies, WriterValue } from './writer-protocol.js';

/**
 * The store's end of the writer thread (writer-thread.ts): send(op) posts a
 * write and resolves with its value once the thread has committed it.
 *
 * States: open ──close()──► closed (the thread answered everything sent
 * before, closed its connection and ended); open ──thread died──► broken
 * (every pending and later send rejects with STORE_UNAVAILABLE).
 *
 * The thread never keeps the process alive by itself; the port does, and
 * only while a write is pending, so an SDK user who forgets close() still
 * exits, and an awaited write is never cut off.
 */
export class WriterClient {
  /** text buffers for the requests (text-batch.ts), handed back by the thread with its replies */
  readonly buffers = new TextBufferPool();
  /** retention counters as of the latest reply (the thread owns them) */
  results: number;
  resultBytes: number;

  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly pending = new Map<number, { resolve: (v: WriterValue) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private broken: Error | null = null;
  private closing: Promise<void> | null = null;

  constructor(data: WriterData) {
    this.results = data.results;
    this.resultBytes = data.resultBytes;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = spawnModuleWorker(import.meta.url, './writer-thread', { workerData: { ...data, port: port2 }, transferList: [port2] });
    this.worker.unref();
    this.port.on('message', (replies: WriterReplies) => this.onReplies(replies));
    this.port.unref();
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the writer thread exited (code ${code})`)));
  }

  /** false once the thread has died */
  get healthy(): boolean {
    return this.broken === null;
  }

  /** `transfer`: buffers of the op handed over to the thread (text-batch.ts transferOf), unusable here afterwards */
  send(op: WriterOp, transfer: ArrayBuffer[] = []): Promise<WriterValue> {
    if (this.broken !== null) return Promise.reject(unavailable(this.broken));
    if (this.closing !== null) return Promise.reject(new PacketFSError('STORE_UNAVAILABLE', 'the job store is closed'));
    const id = this.nextId++;
    return new Promise<WriterValue>((resolve, reject) => {
      if (this.pending.size === 0) this.port.ref();
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ id, op }, transfer);
    });
  }

  /** Lets every write sent before finish, then ends the thread. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    if (this.broken !== null) {
      this.closing = this.worker.terminate().then(() => undefined);
      return this.closing;
    }
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.port.postMessage('close');
    this.closing = exited.then(() => this.port.close());
    return this.closing;
  }

  private onReplies({ replies, buffers }: WriterReplies): void {
    for (const b of buffers) this.buffers.give(b);
    for (const r of replies) {
      const p = this.pending.get(r.id);
      if (p === undefined) continue;
      this.pending.delete(r.id);
      if (r.ok) {
        this.results = r.results;
        this.resultBytes = r.resultBytes;
        p.resolve(r.value);
      } else {
        p.reject(new PacketFSError('STORE_UNAVAILABLE', `the job store could not write: ${r.message}`));
      }
    }
    if (this.pending.size === 0) this.port.unref();
  }

  private fail(err: Error): void {
    if (this.broken !== null) return;
    // a clean exit after close() is not a failure
    if (this.closing !== null && this.pending.size === 0) return;
    this.broken = err;
    for (const p of this.pending.values()) p.reject(unavailable(err));
    this.pending.clear();
    this.port.unref();
  }
}

function unavailable(err: Error): PacketFSError {
  return new PacketFSError('STORE_UNAVAILABLE', `the job store's writer thread failed: ${err.message}`, { cause: err });
}
