import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { endProcess, freePort, redisServerBin } from './redis-server.js';

/**
 * A private Redis Cluster on loopback for one test file: `masters` masters
 * with `replicasPerMaster` replicas each, every node a redis-server process
 * on a free port, joined by `redis-cli --cluster create`. A short
 * cluster-node-timeout (1 s) makes a failover take seconds, not the default
 * 15+. No persistence unless `aof` (appendonly yes, appendfsync always).
 *
 *   nodes         "127.0.0.1:port" of every master (the seeds a client is given)
 *   masterOf(key) the port of the master serving a key's slot now
 *   kill(port)    SIGKILL one node, like a crash
 *   waitHealthy() until every slot is served again (after a failover)
 *   stop()        stops every node and removes the data directory
 */
export interface RedisCluster {
  nodes: string[];
  masterOf(key: string): Promise<number>;
  kill(port: number): Promise<void>;
  waitHealthy(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisCluster(opts: { masters?: number; replicasPerMaster?: number; aof?: boolean } = {}): Promise<RedisCluster> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicasPerMaster ?? 0;
  const bin = redisServerBin();
  const dir = await mkdtemp(join(tmpdir(), 'pfs-redis-cluster-'));
  const procs = new Map<number, ChildProcess>();
  const ports: number[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) ports.push(await freePort());
    await Promise.all(ports.map(async (port) => {
      const persistence = opts.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
      const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir,
        '--appendfilename', `aof-${port}.aof`, '--appenddirname', `aof-${port}`,
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000'], { stdio: 'ignore' });
      procs.set(port, proc);
      await answers(port);
    }));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
  } catch (err) {
    for (const proc of procs.values()) proc.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const alive = () => ports.filter((p) => { const c = procs.get(p)!; return c.exitCode === null && c.signalCode === null; });
  const cluster: RedisCluster = {
    nodes: ports.slice(0, masters).map((p) => `127.0.0.1:${p}`),
    async masterOf(key: string) {
      const probe = new Redis({ port: alive()[0]!, host: '127.0.0.1', lazyConnect: true });
      try {
        await probe.connect();
        const slot = await probe.call('cluster', 'keyslot', key) as number;
        const slots = await probe.call('cluster', 'slots') as [number, number, [string, number]][];
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        if (range === undefined) throw new Error(`no master serves slot ${slot}`);
        return range[2][1];
      } finally {
        probe.disconnect();
      }
    },
    async kill(port: number) {
      const proc = procs.get(port);
      if (proc !== undefined) await endProcess(proc, 'SIGKILL');
    },
    async waitHealthy() {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const states = await Promise.all(alive().map((port) => clusterState(port)));
        if (states.every((s) => s === 'ok')) return;
        if (Date.now() > deadline) throw new Error(`cluster not healthy within 20 s: ${states.join(', ')}`);
        await sleep(100);
      }
    },
    async stop() {
      // bounded: a node that does not end on SIGTERM within 5 s is SIGKILLed (nothing in it is kept)
      await Promise.all([...procs.values()].map((proc) => endProcess(proc, 'SIGTERM')));
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.waitHealthy();
  return cluster;
}

async function answers(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await clusterState(port).then(() => true, () => false)) return;
    await sleep(25);
  }
  throw new Error(`redis-server on port ${port} did not start within 5 s`);
}

/** cluster_state of one node ('ok' or 'fail'). */
async function clusterState(port: number): Promise<string> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    const info = await probe.call('cluster', 'info') as string;
    return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    probe.disconnect();
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    proc.once('error', reject);
    proc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.slice(0, 2).join(' ')} exited with ${code}: ${stderr}`))));
  });
}
