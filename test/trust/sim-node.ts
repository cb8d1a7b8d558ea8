import WebSocket from 'ws';
import { runOps } from '../../src/ops/index.js';
import type { OpResult } from '../../src/ops/types.js';
import type { Assignment } from '../../src/node-protocol/index.js';

/**
 * A volunteer node for adversarial tests: a real WebSocket client that
 * answers each assignment as its `behave` function says (the honest answer
 * is computed from the inline data). When the dispatcher closes it (a ban),
 * it comes back as a new anonymous node, up to `rejoins` times, as a
 * determined attacker would. Records what it sent, per job.
 */
export type Answer =
  | { kind: 'result'; result: unknown; bytes: number }
  | { kind: 'error'; code: string }
  | { kind: 'silent' };

export type Behaviour = (job: Assignment, honest: OpResult | OpResult[], bytes: number, answered: number) => Answer;

export interface SimNodeOptions {
  url: string;
  slots: number;
  behave: Behaviour;
  rejoins?: number;
  token?: string;
}

export class SimNode {
  /** job id → results this node sent for it (JSON), across its connections */
  readonly sent = new Map<string, string[]>();
  answered = 0;
  connections = 0;
  bannedTimes = 0;
  private ws: WebSocket | null = null;
  private stopped = false;
  private rejoinsLeft: number;

  constructor(private readonly opts: SimNodeOptions) {
    this.rejoinsLeft = opts.rejoins ?? 0;
  }

  start(): Promise<void> {
    return this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close();
  }

  private connect(): Promise<void> {
    this.connections++;
    const ws = new WebSocket(this.opts.url.replace(/^http/, 'ws') + '/v1/nodes/ws');
    this.ws = ws;
    return new Promise((resolve, reject) => {
      ws.on('error', () => {});
      ws.once('open', () => ws.send(JSON.stringify({
        type: 'register', protocol: 1, kind: 'node', slots: this.opts.slots,
        capabilities: { cores: 1 }, ...(this.opts.token === undefined ? {} : { token: this.opts.token }),
      })));
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString());
        if (msg.type === 'registered') resolve();
        else if (msg.type === 'assign') this.onAssign(ws, msg.jobs);
        else if (msg.type === 'error' && msg.message !== undefined) reject(new Error(msg.message));
      });
      ws.once('close', (code) => {
        reject(new Error(`closed ${code}`));
        if (code === 4001) this.bannedTimes++;
        if (!this.stopped && code === 4001 && this.rejoinsLeft-- > 0) void this.connect().catch(() => {});
      });
      const beat = setInterval(() => { if (ws.readyState === ws.OPEN) ws.send('{"type":"heartbeat"}'); }, 1000);
      ws.once('close', () => clearInterval(beat));
    });
  }

  private onAssign(ws: WebSocket, jobs: Assignment[]): void {
    const results: unknown[] = [];
    for (const job of jobs) {
      const data = Buffer.from(job.program.data!, 'base64');
      const window = data.subarray(job.program.offset, job.program.length === null ? undefined : job.program.offset + job.program.length);
      const out = runOps(job.program.ops, window, job.program.fnv_state);
      const honest = job.program.single ? out[0]! : out;
      const answer = this.opts.behave(job, honest, window.length, this.answered++);
      if (answer.kind === 'silent') continue;
      if (answer.kind === 'error') {
        results.push({ assignment_id: job.assignment_id, ok: false, error: { code: answer.code, message: 'refused' }, retryable: false, exec_time_ms: 0.01 });
        continue;
      }
      const list = this.sent.get(job.job_id) ?? [];
      list.push(JSON.stringify(answer.result));
      this.sent.set(job.job_id, list);
      results.push({ assignment_id: job.assignment_id, ok: true, result: answer.result, bytes_processed: answer.bytes, exec_time_ms: 0.01 });
    }
    if (results.length > 0 && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'results', results }));
  }
}

/** A wrong value of the right shape: what a careful liar sends. `salt` varies it (random liars) or not (colluders). */
export function skew(honest: OpResult | OpResult[], salt: number): OpResult | OpResult[] {
  const one = (r: OpResult): OpResult => {
    if ('count' in r) return { count: r.bytes === 0 ? 0 : (r.count + 1 + salt) % (r.bytes + 1), bytes: r.bytes };
    if ('crc32c' in r) return { crc32c: (r.crc32c ^ (1 + salt)) >>> 0, bytes: r.bytes };
    if ('fnv64' in r) return { fnv64: ((BigInt('0x' + r.fnv64) ^ BigInt(1 + salt)) & 0xffffffffffffffffn).toString(16).padStart(16, '0'), bytes: r.bytes };
    if ('xor' in r) return { xor: (r.xor ^ (1 + (salt % 255))) & 255, bytes: r.bytes };
    return { sum: r.sum === 0 ? 1 : r.sum - 1, bytes: r.bytes };
  };
  return Array.isArray(honest) ? honest.map(one) : one(honest);
}
