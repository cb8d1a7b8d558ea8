import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { eventually } from './eventually.js';

/**
 * A private redis-server for one test file: a free loopback port, no
 * persistence (unless `aof` is given), so no state is shared between files or runs.
 *
 *   stop()    graceful shutdown (SIGTERM), waits for the exit
 *   kill()    SIGKILL, like a crash
 *   restart() starts it again on the same port (an outage that ends); the
 *             data is gone, as after a real restart without persistence —
 *             with `aof`, it is read back from the append-only file
 */
export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

const CANDIDATES = [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'];

export interface RedisOptions {
  /** append-only file in this directory, fsynced on every write (appendfsync always) */
  aof?: { dir: string };
}

/** The redis-server binary the tests start. */
export function redisServerBin(): string {
  const bin = CANDIDATES.find((p): p is string => p !== undefined && existsSync(p));
  if (bin === undefined) {
    throw new Error('redis-server not found (looked in /usr/bin, /usr/local/bin, /opt/homebrew/bin and $REDIS_SERVER_BIN): install Redis 7 (apt-get install redis-server) to run the Redis store tests');
  }
  return bin;
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const bin = redisServerBin();
  const port = await freePort();
  let child: ChildProcess | null = null;

  async function launch(): Promise<void> {
    const persistence = opts.aof === undefined ? ['--appendonly', 'no']
      : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', opts.aof.dir];
    const proc = spawn(bin!, ['--save', '', ...persistence, '--bind', '127.0.0.1', '--port', String(port), '--protected-mode', 'yes'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    for (let i = 0; i < 200; i++) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}: ${stderr}`);
      if (await answersPing(port)) return;
      await sleep(25);
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server on port ${port} did not answer PING within 5 s: ${stderr}`);
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    child = null;
    if (proc !== null) await endProcess(proc, signal);
  }

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await launch();
    },
  };
}

/**
 * Sends `signal` and waits for the exit, bounded: a process still there after
 * `graceMs` (a redis-server waiting on a replica or a slow disk at shutdown)
 * is SIGKILLed, so a test file's clean-up never waits out the runner's limit.
 */
export async function endProcess(proc: ChildProcess, signal: NodeJS.Signals, graceMs = 5_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill(signal);
  if (signal === 'SIGKILL') return exited;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), graceMs); });
  try {
    if (await Promise.race([exited, late]) === 'late') {
      proc.kill('SIGKILL');
      await exited;
    }
  } finally {
    clearTimeout(timer);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** One raw RESP PING, so the helper does not depend on the client under test. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

