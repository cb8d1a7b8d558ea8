import type { ExecOutcome, HealthReport } from '../substrate.js';
import { HttpComputeClient, type AuthorizationSource } from './http-compute-client.js';
import { RemoteSubstrate, type RemoteDefaults, type RemoteSubstrateOptions } from './remote-substrate.js';
import type { RemoteJob } from './remote-job.js';

export interface HttpComputeSubstrateOptions extends RemoteSubstrateOptions {
  /** the deployed runtime's base URL */
  url: string;
  authorization?: AuthorizationSource | undefined;
}

/** A bearer token that is fixed for the process lifetime (read from the environment at load time). */
export function bearer(token: string | undefined): AuthorizationSource | undefined {
  if (token === undefined) return undefined;
  const header = `Bearer ${token}`;
  return () => Promise.resolve(header);
}

/**
 * A substrate reached over the runtimes' HTTP API. Cloudflare, Vercel and
 * Cloud Run differ only in type, defaults and how they authenticate; Fly
 * adds machine scaling on top.
 */
export class HttpComputeSubstrate extends RemoteSubstrate {
  readonly type: string;
  protected readonly client: HttpComputeClient;

  constructor(type: string, opts: HttpComputeSubstrateOptions, defaults: RemoteDefaults) {
    super(opts, defaults);
    this.type = type;
    this.client = new HttpComputeClient({
      substrate: opts.name, url: opts.url,
      ...(opts.authorization === undefined ? {} : { authorization: opts.authorization }),
    });
  }

  probe(): Promise<HealthReport> {
    return this.client.health();
  }

  protected send(jobs: RemoteJob[], body: string, timeoutMs: number): Promise<ExecOutcome[]> {
    return this.client.compute(jobs, body, timeoutMs);
  }
}
