import WebSocket from 'ws';
import { runOps } from '../../src/ops/index.js';
import type { Assignment } from '../../src/node-protocol/index.js';

/** A hand-driven protocol client for tests: every frame it receives is queued for next(). */
export class RawNode {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly queue: any[] = [];
  private waiter: ((msg: any) => void) | null = null;

  constructor(baseUrl: string) {
    this.ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/v1/nodes/ws');
    this.opened = new Promise((resolve, reject) => { this.ws.once('open', () => resolve()); this.ws.once('error', reject); });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (this.waiter) { const w = this.waiter; this.waiter = null; w(msg); } else this.queue.push(msg);
    });
  }

  static async register(baseUrl: string, fields: Record<string, unknown> = {}): Promise<{ node: RawNode; registered: any }> {
    const node = new RawNode(baseUrl);
    await node.opened;
    node.send({ type: 'register', protocol: 1, kind: 'node', slots: 2, capabilities: { cores: 1, wasm: true, user_agent: 'test' }, ...fields });
    return { node, registered: await node.next() };
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** the next frame, or null when the socket closes first */
  next(): Promise<any> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    return new Promise((resolve) => {
      this.waiter = resolve;
      void this.closed.then(() => { if (this.waiter === resolve) { this.waiter = null; resolve(null); } });
    });
  }

  /** answers assignments of inline programs correctly */
  answer(jobs: Assignment[]): void {
    this.send({
      type: 'results',
      results: jobs.map((job) => {
        const bytes = Buffer.from(job.program.data!, 'base64');
        const results = runOps(job.program.ops, bytes, job.program.fnv_state);
        return { assignment_id: job.assignment_id, ok: true, result: job.program.single ? results[0] : results, bytes_processed: bytes.length, exec_time_ms: 0.01 };
      }),
    });
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}
