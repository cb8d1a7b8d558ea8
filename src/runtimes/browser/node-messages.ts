import type { ErrorBody } from '../../errors.js';
import type { OpResult } from '../../ops/types.js';
import type { BrowserCapabilities } from './capabilities.js';

/**
 * Node protocol v1 as a browser node speaks it (docs/protocol.md is the
 * authority). JSON text frames; every frame from the dispatcher is size-checked
 * and shape-checked here before anything acts on it.
 */
export const PROTOCOL_VERSION = 1;
/** Largest frame accepted before `registered` announces the real limit. */
export const PRE_REGISTER_MAX_BYTES = 64 * 1024;

export interface RegisterMessage {
  type: 'register';
  protocol: typeof PROTOCOL_VERSION;
  kind: 'browser';
  slots: number;
  token?: string;
  node_id?: string;
  capabilities: BrowserCapabilities;
}

export type NodeResult =
  | { assignment_id: string; ok: true; result: OpResult | OpResult[]; bytes_processed: number; exec_time_ms: number }
  | { assignment_id: string; ok: false; error: ErrorBody; retryable: boolean; exec_time_ms: number };

export type NodeMessage =
  | RegisterMessage
  | { type: 'results'; results: NodeResult[] }
  | { type: 'heartbeat'; free_slots: number }
  | { type: 'bye' };

export interface Assignment {
  assignment_id: string;
  job_id: string;
  /** a wire program; the node validates it with normalizeProgram before running it */
  program: unknown;
  timeout_ms: number;
}

export type DispatcherMessage =
  | { type: 'registered'; node_id: string; heartbeat_ms: number; max_message_bytes: number; max_batch: number }
  | { type: 'assign'; jobs: Assignment[] }
  | { type: 'drain' }
  | { type: 'error'; code: string; message: string };

/** Parses one frame from the dispatcher; throws a plain Error saying what is wrong with it. */
export function parseDispatcherMessage(data: unknown, maxBytes: number): DispatcherMessage {
  if (typeof data !== 'string') throw new Error('expected a JSON text frame');
  // UTF-16 length is a lower bound of the UTF-8 size: enough to refuse the obviously too big before parsing
  if (data.length > maxBytes) throw new Error(`frame of ${data.length} characters is over the ${maxBytes}-byte limit`);
  const msg: unknown = JSON.parse(data);
  if (!isObject(msg)) throw new Error('a frame must be a JSON object');
  switch (msg.type) {
    case 'registered':
      if (typeof msg.node_id !== 'string' || !isPositiveInt(msg.heartbeat_ms) || !isPositiveInt(msg.max_message_bytes) || !isPositiveInt(msg.max_batch)) {
        throw new Error('registered needs node_id, heartbeat_ms, max_message_bytes and max_batch');
      }
      return msg as DispatcherMessage;
    case 'assign':
      if (!Array.isArray(msg.jobs) || !msg.jobs.every(isAssignment)) {
        throw new Error('assign needs jobs: [{assignment_id, job_id, program, timeout_ms}]');
      }
      return msg as DispatcherMessage;
    case 'drain':
      return { type: 'drain' };
    case 'error':
      return { type: 'error', code: String(msg.code), message: String(msg.message) };
    default:
      throw new Error(`unknown message type ${JSON.stringify(msg.type)}`);
  }
}

function isAssignment(v: unknown): v is Assignment {
  return isObject(v) && typeof v.assignment_id === 'string' && typeof v.job_id === 'string' &&
    isObject(v.program) && typeof v.timeout_ms === 'number' && v.timeout_ms > 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}
