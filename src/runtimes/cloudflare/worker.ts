import { handleComputeRequest } from '../worker-core/index.js';
import { workerEnvFromBindings, type CloudflareBindings } from './bindings.js';
import { stateRouter } from './stateful-jobs.js';

/**
 * The Cloudflare Worker (ES module format): the shared compute API, with
 * jobs that carry a state_key routed to the PacketFSStateObject Durable
 * Object. Bindings: TOKEN, ALLOW_PRIVATE_DATA_URLS, PACKETFS_STATE.
 */
export { PacketFSStateObject } from './state-object.js';

export default {
  fetch(request: Request, bindings: CloudflareBindings): Promise<Response> {
    const env = workerEnvFromBindings(bindings);
    if (bindings.PACKETFS_STATE !== undefined) env.runStateful = stateRouter(bindings.PACKETFS_STATE);
    return handleComputeRequest(request, env);
  },
};
