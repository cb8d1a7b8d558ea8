import { PacketFSError } from '../../errors.js';
import { failAll, type ComputeJob, type JobResponse } from '../worker-core/index.js';
import type { DurableObjectNamespaceLike } from './bindings.js';

/**
 * Sends jobs with a state_key to their Durable Object: one request per key,
 * holding that key's jobs in their original order; different keys in
 * parallel. A failed hop fails those jobs as retryable SUBSTRATE_FAILED.
 */
export function stateRouter(namespace: DurableObjectNamespaceLike): (jobs: ComputeJob[]) => Promise<JobResponse[]> {
  return async (jobs) => {
    const byKey = new Map<string, number[]>();
    jobs.forEach((job, i) => {
      const key = job.state_key!;
      const list = byKey.get(key);
      if (list === undefined) byKey.set(key, [i]); else list.push(i);
    });
    const results = new Array<JobResponse>(jobs.length);
    await Promise.all([...byKey].map(async ([key, indexes]) => {
      const group = indexes.map((i) => jobs[i]!);
      const out = await sendToObject(namespace, key, group);
      indexes.forEach((index, k) => { results[index] = out[k]!; });
    }));
    return results;
  };
}

async function sendToObject(namespace: DurableObjectNamespaceLike, key: string, jobs: ComputeJob[]): Promise<JobResponse[]> {
  try {
    const stateObject = namespace.get(namespace.idFromName(key));
    const response = await stateObject.fetch(new Request('https://state.internal/compute', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobs }),
    }));
    const body = await response.json() as { results?: JobResponse[]; error?: { message?: string } };
    if (!response.ok || !Array.isArray(body.results) || body.results.length !== jobs.length) {
      throw new Error(`state object answered ${response.status}: ${body.error?.message ?? 'no results'}`);
    }
    return body.results;
  } catch (err) {
    return failAll(jobs, new PacketFSError('SUBSTRATE_FAILED', `state object for ${key} failed: ${(err as Error).message}`));
  }
}
