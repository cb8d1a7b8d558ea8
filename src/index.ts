/** The packetfs-compute package: the in-process dispatcher, the HTTP client, the server, and the contracts to extend them. */
export { Dispatcher } from './dispatcher/dispatcher.js';
export type { DispatcherOptions } from './dispatcher/options.js';
export type { DispatcherApi, SubmitOutcome, MetricsReport, SubstrateAggregate, SubstrateView } from './dispatcher/api.js';
export { Client } from './sdk/client.js';
export type { ClientOptions } from './sdk/client.js';
export { buildServer, startServer } from './server/server.js';
export type { ServerOptions } from './server/server.js';
export { PacketFSError, type ErrorCode, type ErrorBody } from './errors.js';
export { normalizeJob, normalizeJobs, normalizeProgram, jobToWire } from './job/index.js';
export type { JobSpec, ProgramSpec, ResultRecord, MetricRecord, JobStatus, AttemptError } from './job/types.js';
export type { JobStore, Lease, JobView, ListQuery, ListPage, StoreOptions } from './store/job-store.js';
export { MemoryJobStore } from './store/memory/memory-store.js';
export type { Substrate, ExecRequest, ExecOutcome, HealthReport } from './substrates/substrate.js';
export type { Capabilities, PricingModel, TrustClass } from './scheduler/capabilities.js';
export { LocalSubstrate } from './substrates/local/local-substrate.js';
export * as ops from './ops/index.js';
export { version } from './version.js';
