import type { RedisClient } from './redis-connection.js';
import { parseProgress, type ProgressEntry, type ProgressShelf } from '../progress-shelf.js';
import type { SplitProgress } from '../../split/split-progress.js';

/**
 * The progress shelf in Redis: one string key per split parent
 * (`<prefix>:{<queue>}:progress:<job_id>`, JSON, `SET … PX ttl`), so an entry
 * whose coordinator died expires on its own. A batch is one pipeline (every
 * key carries the queue's hash tag, so a Cluster keeps them in one slot).
 * What is read back is validated: another process (or version) wrote it.
 */
export class RedisProgressShelf implements ProgressShelf {
  constructor(private readonly redis: RedisClient, private readonly keyOf: (jobId: string) => string, private readonly finalTtlMs: number) {}

  async publish(entries: readonly ProgressEntry[], ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const e of entries) pipeline.set(this.keyOf(e.job_id), JSON.stringify(e.progress), 'PX', Math.max(1, Math.round(ttlMs)));
    await pipeline.exec();
  }

  async keepFinal(entry: ProgressEntry): Promise<void> {
    await this.publish([entry], this.finalTtlMs);
  }

  async read(jobId: string): Promise<SplitProgress | null> {
    const text = await this.redis.get(this.keyOf(jobId));
    return text === null ? null : parseProgress(text);
  }

  async remove(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.redis.del(...jobIds.map(this.keyOf));
  }
}
