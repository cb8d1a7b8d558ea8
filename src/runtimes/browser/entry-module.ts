import { PacketFSBrowserCompute } from './browser-compute.js';

/** Entry of /browser-runtime.mjs, the ES module bundle: workers load beside the module. */
PacketFSBrowserCompute.scriptUrl = import.meta.url;

export { PacketFSBrowserCompute };
export type { BrowserComputeMetrics, BrowserComputeOptions, SubmitJobResult } from './browser-compute.js';
export default PacketFSBrowserCompute;
