import { isIntIn, isPlainObject } from '../../job/range-checks.js';
import type { DispatcherMessage, NodeMessage } from '../../substrates/node-pool/protocol.js';

/**
 * The dispatcher → node half of node protocol v1 as a browser node reads it
 * (the types and the node → dispatcher parser live with the pool in
 * src/substrates/node-pool/protocol.ts). Every frame is size-checked and
 * shape-checked here before anything acts on it; a program inside an
 * assignment is validated later, per job, so one bad job fails alone.
 */
export type { Assignment, DispatcherMessage, NodeMessage, NodeResult } from '../../substrates/node-pool/protocol.js';
export { CLOSE_CODES, NODE_WS_PATH, PROTOCOL_VERSION } from '../../substrates/node-pool/protocol.js';

/** Largest frame accepted before `registered` announces the real limit. */
export const PRE_REGISTER_MAX_BYTES = 64 * 1024;

/** Serialises a node frame (one place, so every send goes through the same type). */
export function encodeNodeMessage(msg: NodeMessage): string {
  return JSON.stringify(msg);
}

/** Parses one frame from the dispatcher; throws a plain Error saying what is wrong with it. */
export function parseDispatcherMessage(data: unknown, maxBytes: number): DispatcherMessage {
  if (typeof data !== 'string') throw new Error('expected a JSON text frame');
  // UTF-16 length is a lower bound of the UTF-8 size: enough to refuse the obviously too big before parsing
  if (data.length > maxBytes) throw new Error(`frame of ${data.length} characters is over the ${maxBytes}-byte limit`);
  const msg: unknown = JSON.parse(data);
  if (!isPlainObject(msg)) throw new Error('a frame must be a JSON object');
  switch (msg.type) {
    case 'registered':
      if (typeof msg.node_id !== 'string' || !isPositiveInt(msg.heartbeat_ms) || !isPositiveInt(msg.max_message_bytes) || !isPositiveInt(msg.max_batch)) {
        throw new Error('registered needs node_id, heartbeat_ms, max_message_bytes and max_batch');
      }
      return msg as unknown as DispatcherMessage;
    case 'assign':
      if (!Array.isArray(msg.jobs) || !msg.jobs.every(isAssignment)) {
        throw new Error('assign needs jobs: [{assignment_id, job_id, program, timeout_ms}]');
      }
      return msg as unknown as DispatcherMessage;
    case 'drain':
      return { type: 'drain' };
    case 'error':
      return { type: 'error', code: String(msg.code), message: String(msg.message) };
    default:
      throw new Error(`unknown message type ${JSON.stringify(msg.type)}`);
  }
}

function isAssignment(v: unknown): boolean {
  return isPlainObject(v) && typeof v.assignment_id === 'string' && typeof v.job_id === 'string' &&
    isPlainObject(v.program) && typeof v.timeout_ms === 'number' && v.timeout_ms > 0;
}

function isPositiveInt(v: unknown): v is number {
  return isIntIn(v, 1, Number.MAX_SAFE_INTEGER);
}
