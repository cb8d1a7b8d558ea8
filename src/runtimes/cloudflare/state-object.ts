import { isPlainObject } from '../../job/range-checks.js';
import type { OpResult } from '../../ops/types.js';
import {
  createJobRunner, errorReply, jsonReply, parseComputeBody,
  type ComputeJob, type JobResponse, type JobRunner,
} from '../worker-core/index.js';
import { workerEnvFromBindings, type CloudflareBindings, type DurableObjectStateLike } from './bindings.js';

/**
 * The Durable Object behind jobs with a `state_key` (requires_state): one
 * object per key, holding the FNV-1a state of a blob hashed window after
 * window. A job without its own `fnv_state` continues from the stored one;
 * after it runs, the fnv64 result becomes the stored state. The state lives
 * in Durable Object storage, so it survives eviction and restarts.
 *
 * Jobs of one key run strictly one after another: storage calls hold the
 * object's input gate, but a data_url fetch does not, so without the chain
 * below a second request could read the state before the first stored its
 * result.
 */
const STATE_KEY = 'fnv_state';

export class PacketFSStateObject {
  private readonly storage: DurableObjectStateLike['storage'];
  private readonly runner: JobRunner;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(state: DurableObjectStateLike, bindings: CloudflareBindings) {
    this.storage = state.storage;
    this.runner = createJobRunner(workerEnvFromBindings(bindings));
  }

  async fetch(request: Request): Promise<Response> {
    try {
      const { jobs } = parseComputeBody(await request.json());
      const run = this.tail.then(() => this.runInOrder(jobs));
      this.tail = run.catch(() => undefined);
      return jsonReply({ results: await run });
    } catch (err) {
      return errorReply(err);
    }
  }

  private async runInOrder(jobs: ComputeJob[]): Promise<JobResponse[]> {
    const results: JobResponse[] = [];
    for (const job of jobs) {
      const stored = await this.storage.get<string>(STATE_KEY);
      const program = stored !== undefined && isPlainObject(job.program) && job.program.fnv_state === undefined
        ? { ...job.program, fnv_state: stored }
        : job.program;
      const response = await this.runner.run({ ...job, program });
      const next = response.success ? fnvResult(response.result) : undefined;
      if (next !== undefined) await this.storage.put(STATE_KEY, next);
      results.push(response);
    }
    return results;
  }
}

/** The state an fnv64 op ended in (the first fnv64 of a multi-op program). */
function fnvResult(result: OpResult | OpResult[]): string | undefined {
  const list = Array.isArray(result) ? result : [result];
  for (const item of list) if ('fnv64' in item) return item.fnv64;
  return undefined;
}
