import type { JobStore, ListPage, ListQuery } from '../store/job-store.js';
import { parentIdOf } from '../job/split-spec.js';

/** Store pages read at most per listing while skipping window jobs; a page may then come back short, with a cursor. */
const MAX_PAGES = 20;

/**
 * A job listing without the window jobs of split jobs (told apart by their
 * ids, split-spec.ts). Stores page by position, so pages full of children
 * are skipped by reading on; the page returned may hold fewer than `limit`
 * jobs while `next_cursor` is set.
 */
export async function listWithoutChildren(store: JobStore, query: ListQuery): Promise<ListPage> {
  const jobs: ListPage['jobs'] = [];
  let cursor = query.cursor;
  for (let page = 0; page < MAX_PAGES; page++) {
    const want = query.limit - jobs.length;
    const found = await store.list(cursor === undefined ? { status: query.status, limit: want } : { status: query.status, limit: want, cursor });
    for (const job of found.jobs) if (parentIdOf(job.job_id) === null) jobs.push(job);
    if (found.next_cursor === null || jobs.length >= query.limit) return { jobs, next_cursor: found.next_cursor };
    cursor = found.next_cursor;
  }
  return { jobs, next_cursor: cursor ?? null };
}
