import type { FastifyInstance } from 'fastify';
import { PacketFSError } from '../../errors.js';
import type { JobStatus } from '../../job/types.js';
import type { ServedDispatcher } from '../served-dispatcher.js';
import { DEFAULT_PAGE_LIMIT, ListJobsQuery, ResultQuery, SubmitQuery, queryReader } from '../../schema/query-schema.js';

/** Largest `{"jobs":[…]}` batch one request may carry. */
export const MAX_BATCH_JOBS = 10_000;
const submitQuery = queryReader(SubmitQuery);
const listQuery = queryReader(ListJobsQuery);
const resultQuery = queryReader(ResultQuery);

interface IdParams { id: string }

/**
 * /v1/jobs. Bodies are parsed once by the JSON content-type parser and handed
 * to the dispatcher as they are: it validates (and reports paths such as
 * `jobs[3].program.imm`), so there is no per-job schema work here — the
 * batch path has to sustain tens of thousands of jobs per second.
 * `closing` settles when the server starts closing, so long-polls answer
 * at once instead of holding shutdown for up to a minute.
 */
export function registerJobRoutes(scope: FastifyInstance, dispatcher: ServedDispatcher, closing: Promise<void>): void {
  scope.post('/v1/jobs', async (request, reply) => {
    const body = request.body;
    if (body === undefined || body === null) {
      throw new PacketFSError('INVALID_JOB', 'request body must be a job object or {"jobs":[…]}');
    }
    const batch = batchOf(body);
    // ?dry_run=1: where each job would run and its estimated cost; nothing is enqueued (docs/costs.md)
    if (submitQuery.parse(request.query).dry_run === true) {
      return reply.code(200).send(batch === null ? await dispatcher.dryRunJob(body) : { jobs: await dispatcher.dryRunJobs(batch) });
    }
    if (batch === null) {
      const outcome = await dispatcher.submitJob(body);
      return reply.code(202).send(outcome);
    }
    const outcomes = await dispatcher.submitJobs(batch);
    const jobIds = new Array<string>(outcomes.length);
    const created = new Array<boolean>(outcomes.length);
    const statuses = new Array<JobStatus>(outcomes.length);
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i]!;
      jobIds[i] = outcome.job_id;
      created[i] = outcome.created;
      statuses[i] = outcome.status;
    }
    return reply.code(202).send({ job_ids: jobIds, created, statuses });
  });

  scope.get('/v1/jobs', async (request) => {
    const { status, limit = DEFAULT_PAGE_LIMIT, cursor, children = false } = listQuery.parse(request.query);
    return dispatcher.listJobs(cursor === undefined || cursor === '' ? { status, limit, children } : { status, limit, cursor, children });
  });

  scope.get<{ Params: IdParams }>('/v1/jobs/:id', async (request) => {
    const view = await dispatcher.getJob(request.params.id);
    if (view === null) throw unknownJob(request.params.id);
    return view;
  });

  scope.get<{ Params: IdParams }>('/v1/jobs/:id/result', async (request, reply) => {
    const { wait = 0 } = resultQuery.parse(request.query);
    const jobId = request.params.id;
    // ask for the job first: an unknown id must answer 404 now, not after the wait
    const view = await dispatcher.getJob(jobId);
    if (view === null) throw unknownJob(jobId);
    if (view.result !== null) return view.result;
    if (wait > 0) {
      const record = await Promise.race([dispatcher.getResult(jobId, { wait }), closing.then(() => null)]);
      if (record !== null) return record;
      const latest = await dispatcher.getJob(jobId);
      if (latest?.result) return latest.result;
      return reply.code(202).send({ job_id: jobId, status: latest?.status ?? view.status });
    }
    return reply.code(202).send({ job_id: jobId, status: view.status });
  });

  scope.delete<{ Params: IdParams }>('/v1/jobs/:id', async (request) => {
    const jobId = request.params.id;
    const outcome = await dispatcher.cancel(jobId);
    if (outcome === 'not_found') throw unknownJob(jobId);
    if (outcome === 'finished') throw new PacketFSError('CONFLICT', `job ${jobId} has already finished`);
    return { job_id: jobId, status: 'cancelled' };
  });
}

/** The jobs of a `{"jobs":[…]}` body, or null for a single job. */
function batchOf(body: unknown): unknown[] | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('jobs' in body)) return null;
  const jobs = (body as { jobs: unknown }).jobs;
  if (!Array.isArray(jobs)) throw new PacketFSError('INVALID_JOB', 'jobs must be an array of jobs', { path: 'jobs' });
  const extra = Object.keys(body).find((key) => key !== 'jobs');
  if (extra !== undefined) {
    throw new PacketFSError('INVALID_JOB', `unknown field ${JSON.stringify(extra)} next to jobs`, { path: extra });
  }
  if (jobs.length > MAX_BATCH_JOBS) {
    throw new PacketFSError('PAYLOAD_TOO_LARGE', `a batch holds at most ${MAX_BATCH_JOBS} jobs, got ${jobs.length}`, { path: 'jobs' });
  }
  return jobs;
}

function unknownJob(jobId: string): PacketFSError {
  return new PacketFSError('NOT_FOUND', `no job ${JSON.stringify(jobId)}`);
}
