/** The HTTP worker server (Fly.io, Cloud Run, any container host). */
export { startHttpWorker, type HttpWorker, type HttpWorkerOptions } from './http-worker.js';
export { createNodeWorkerEnv, type NodeWorkerEnvOptions } from './node-worker-env.js';
