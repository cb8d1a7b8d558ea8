import { PacketFSError } from '../../errors.js';
import { errorDetail } from '../http-compute/http-compute-client.js';
import { readBoundedJson } from '../http-compute/read-bounded.js';

export const DEFAULT_MACHINES_API_URL = 'https://api.machines.dev';

/** The fields of Fly's Machine object this adapter reads. */
export interface FlyMachine {
  id: string;
  /** created | starting | started | stopping | stopped | suspended | replacing | destroying | destroyed */
  state: string;
  region?: string;
}

export interface MachinesApiOptions {
  app: string;
  /** a Fly API token (`fly tokens create deploy`) */
  token: string;
  baseUrl?: string;
}

/**
 * The four Fly Machines API calls the scaler needs, with the documented
 * request and response shapes (https://fly.io/docs/machines/api/machines-resource/).
 * Failures become SUBSTRATE_FAILED errors that never contain the token.
 */
export class MachinesApi {
  private readonly base: string;
  private readonly authorization: string;

  constructor(opts: MachinesApiOptions) {
    this.base = `${(opts.baseUrl ?? DEFAULT_MACHINES_API_URL).replace(/\/+$/, '')}/v1/apps/${encodeURIComponent(opts.app)}/machines`;
    this.authorization = `Bearer ${opts.token}`;
  }

  /** GET /v1/apps/{app}/machines → [Machine] */
  async list(): Promise<FlyMachine[]> {
    const body = await this.call('GET', '');
    if (!Array.isArray(body)) throw new PacketFSError('SUBSTRATE_FAILED', 'Fly Machines API: the machine list is not an array');
    return body.filter((m): m is FlyMachine => typeof m === 'object' && m !== null && typeof m.id === 'string' && typeof m.state === 'string')
      .map(({ id, state, region }) => (region === undefined ? { id, state } : { id, state, region }));
  }

  /** POST /v1/apps/{app}/machines/{id}/start → {previous_state, migrated, new_host} */
  async start(id: string): Promise<void> {
    await this.call('POST', `/${encodeURIComponent(id)}/start`);
  }

  /** POST /v1/apps/{app}/machines/{id}/stop → {ok: true} */
  async stop(id: string): Promise<void> {
    await this.call('POST', `/${encodeURIComponent(id)}/stop`);
  }

  /** GET /v1/apps/{app}/machines/{id}/wait?state=started&timeout=<s> → {ok: true}; 408 when it does not get there in time */
  async waitStarted(id: string, timeoutS: number): Promise<void> {
    await this.call('GET', `/${encodeURIComponent(id)}/wait?state=started&timeout=${timeoutS}`, (timeoutS + 5) * 1000);
  }

  private async call(method: 'GET' | 'POST', path: string, timeoutMs = 15_000): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: { authorization: this.authorization, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        ...(method === 'POST' ? { body: '{}' } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new PacketFSError('SUBSTRATE_FAILED', `Fly Machines API ${method} ${path || '/'} failed: ${errorDetail(err)}`);
    }
    const body = await readBoundedJson(res, 4 * 1024 * 1024);
    if (!res.ok) {
      const why = typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? `: ${(body as { error: string }).error.slice(0, 200)}` : '';
      throw new PacketFSError('SUBSTRATE_FAILED', `Fly Machines API ${method} ${path || '/'} answered ${res.status}${why}`);
    }
    return body;
  }
}
