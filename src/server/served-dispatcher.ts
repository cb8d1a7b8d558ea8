import type { DispatcherApi } from '../dispatcher/api.js';
import type { BlobRange } from '../data/blob-store.js';

/**
 * What the HTTP server needs from a dispatcher. The in-process `Dispatcher`
 * (src/dispatcher/dispatcher.ts) satisfies it; the server depends on this
 * structural type only, so routes can be read without the dispatcher's internals.
 */
export interface ServedDispatcher extends DispatcherApi {
  readonly blobs: ServedBlobStore;
  ready(): Promise<ReadyReport>;
  /** Prometheus text exposition, served as is */
  prometheus(): Promise<string>;
  drain(): Promise<void>;
}

/** The part of src/data/blob-store.ts that the blob routes use. */
export interface ServedBlobStore {
  put(body: AsyncIterable<Uint8Array> | Uint8Array): Promise<BlobInfo>;
  stat(id: string): Promise<BlobInfo | null>;
  openRange(id: string, start: number, endInclusive: number): Promise<BlobRange>;
}

export interface BlobInfo {
  blob_id: string;
  size: number;
  crc32c: number;
}

export interface ReadyReport {
  ready: boolean;
  store: boolean;
  substrates: number;
  /** the store's settings can lose acknowledged jobs (e.g. Redis without appendonly); ready is not affected */
  store_warning?: string;
}
