import type { ChildProcess } from 'node:child_process';
import { listeningUrl, spawnCli } from '../cli/run-cli.js';

/**
 * A `packetfs serve --redis` child process as users start it, on a free
 * loopback port (--port 0, the URL read from its one stdout line).
 *
 *   kill()  SIGKILL, a crash: nothing is drained, leases are left to expire
 *   stop()  SIGTERM, the graceful path; resolves when the process has exited
 */
export interface ServeProcess {
  url: string;
  child: ChildProcess;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** `redis`: a Redis URL (--redis), or the seed nodes of a Redis Cluster (--redis-cluster). */
export async function startServe(redis: string | string[], dataDir: string, extra: string[] = []): Promise<ServeProcess> {
  const store = typeof redis === 'string' ? ['--redis', redis] : ['--redis-cluster', redis.join(',')];
  const child = spawnCli(['serve', ...store, '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...extra]);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let url: string;
  try {
    url = await listeningUrl(child, /packetfs listening on (http:\/\/127\.0\.0\.1:\d+) \(store: redis/);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const halt = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, child, kill: () => halt('SIGKILL'), stop: () => halt('SIGTERM') };
}

/** POST /v1/jobs with a batch; returns the HTTP status and parsed body. */
export async function postJobs(url: string, jobs: unknown[]): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobs }) });
  return { status: res.status, body: await res.json() };
}
