import { programToWire } from '../../job/job-to-wire.js';
import { processBlobUrlSigner } from '../../data/blob-url-signing.js';
import type { ComputeJob } from '../../runtimes/worker-core/compute-types.js';
import type { ExecOutcome, ExecRequest } from '../substrate.js';

/** One job as the runtimes' `POST /compute` takes it (the program in its wire form, validated there again). */
export type RemoteJob = ComputeJob;

const BLOB_PATH = '/v1/blobs/';

/**
 * Turns an ExecRequest into what a runtime outside this process can run.
 *
 * A remote runtime cannot open the dispatcher's blob store, so `blob` and
 * relative `/v1/blobs/<id>` data_urls become absolute URLs on the
 * dispatcher's public origin (the runtime then reads them with HTTP Range),
 * signed until the job's deadline so they work when the API has a token
 * (the runtime never sees that token).
 * Without a public origin such a job cannot run remotely at all: it fails
 * non-retryably here, naming the setting, rather than counting as a
 * substrate failure (which would trip the circuit breaker for bad placement).
 * The remaining time to the deadline becomes the runtime's `timeout_s`.
 */
export function toRemoteJob(req: ExecRequest, substrate: string, publicOrigin: string | undefined, now: number): RemoteJob | ExecOutcome {
  const timeout_s = Math.max(0.001, (req.deadline - now) / 1000);
  const { program } = req;
  const blobId = program.blob ?? (program.data_url?.startsWith(BLOB_PATH) ? program.data_url.slice(BLOB_PATH.length) : undefined);
  if (blobId === undefined) return { job_id: req.job_id, program: programToWire(program), timeout_s };
  if (publicOrigin === undefined) {
    const path = program.blob !== undefined ? 'program.blob' : 'program.data_url';
    return {
      ok: false, retryable: false, exec_time_ms: 0,
      error: {
        code: 'DATA_URL_FORBIDDEN', path,
        message: `substrate ${substrate} runs outside this dispatcher and cannot read its blob store: set public_origin in the config file, or pin the job with "substrates": ["local"]`,
      },
    };
  }
  const { blob: _blob, ...rest } = program;
  return { job_id: req.job_id, program: programToWire({ ...rest, data_url: processBlobUrlSigner().sign(blobId, publicOrigin, req.deadline) }), timeout_s };
}
