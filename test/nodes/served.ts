import { serveDispatcher, type Served } from '../server/harness.js';
import type { DispatcherOptions } from '../../src/dispatcher/options.js';
import type { ServerOptions } from '../../src/server/server.js';

/** A dispatcher on 127.0.0.1:0 with its node endpoint and one local thread. */
export function serveWithNodes(dispatcher: DispatcherOptions = {}, server: ServerOptions = {}): Promise<Served> {
  return serveDispatcher({ dispatcher: { threads: 1, ...dispatcher }, server });
}

export function inlineJob(i: number, pin = 'volunteer'): Record<string, unknown> {
  return { job_id: `j-${i}`, substrates: [pin], program: { op: 'add', imm: i % 256, data: Buffer.from(`job ${i}`).toString('base64') } };
}

export function expectedSum(i: number): number {
  let sum = 0;
  for (const b of Buffer.from(`job ${i}`)) sum += (b + (i % 256)) % 256;
  return sum;
}
