import type { ProgramSpec } from '../job/types.js';
import type { OpResult } from '../ops/types.js';
import type { ErrorBody } from '../errors.js';

/**
 * Node protocol v1 (docs/protocol.md): the messages a browser or Node.js node
 * and the dispatcher exchange over /v1/nodes/ws, as JSON text frames, and the
 * bounds both sides hold them to. Runtime-neutral (no Node imports): the
 * browser runtime is bundled from it too.
 */
export const PROTOCOL_VERSION = 1;
export const NODE_WS_PATH = '/v1/nodes/ws';

/** Close codes; 1009 (message too big) comes from the WebSocket layer itself. */
export const CLOSE_CODES = Object.freeze({
  normal: 1000,
  goingAway: 1001,
  tooBig: 1009,
  unauthorized: 4001,
  invalidMessage: 4400,
  registerTimeout: 4408,
  heartbeatMissed: 4409,
});

export type NodeKind = 'browser' | 'node';

export interface NodeCapabilities {
  cores: number;
  device_memory_gb?: number;
  wasm: boolean;
  shared_array_buffer: boolean;
  webgl2: boolean;
  webgpu: boolean;
  user_agent: string;
}

export interface RegisterMessage {
  type: 'register';
  protocol: number;
  kind: NodeKind;
  slots: number;
  token?: string;
  node_id?: string;
  capabilities: NodeCapabilities;
}

export type NodeResult =
  | { assignment_id: string; ok: true; result: OpResult | OpResult[]; bytes_processed: number; exec_time_ms: number }
  | { assignment_id: string; ok: false; error: ErrorBody; retryable: boolean; exec_time_ms: number };

export interface ResultsMessage { type: 'results'; results: NodeResult[] }
export interface HeartbeatMessage { type: 'heartbeat'; free_slots?: number }
export interface ByeMessage { type: 'bye' }

export type NodeMessage = RegisterMessage | ResultsMessage | HeartbeatMessage | ByeMessage;

export interface RegisteredMessage {
  type: 'registered';
  node_id: string;
  heartbeat_ms: number;
  max_message_bytes: number;
  max_batch: number;
}

export interface Assignment {
  assignment_id: string;
  job_id: string;
  program: ProgramSpec;
  timeout_ms: number;
}

export interface AssignMessage { type: 'assign'; jobs: Assignment[] }
export interface DrainMessage { type: 'drain' }
export interface ErrorMessage { type: 'error'; code: string; message: string }

export type DispatcherMessage = RegisteredMessage | AssignMessage | DrainMessage | ErrorMessage;

/** Bounds of what either side may declare or send. */
export const LIMITS = Object.freeze({
  maxSlots: 1024,
  /** results per `results` frame, jobs per `assign` frame */
  maxBatch: 4096,
  /** node ids and assignment ids */
  maxIdLength: 128,
  /** job ids in `assign` (a split window's id is its parent's plus `~<index>`) */
  maxJobIdLength: 1024,
  maxTokenLength: 1024,
  maxUserAgentLength: 512,
  maxErrorMessageLength: 4096,
  maxErrorCodeLength: 64,
  maxResultOps: 64,
  maxHeartbeatMs: 3_600_000,
  /** `registered.max_message_bytes` and `max_batch` may not announce more than this */
  maxMessageBytes: 1024 * 1024 * 1024,
  /** `assign.timeout_ms`: what a timer can hold */
  maxTimeoutMs: 2 ** 31 - 1,
});

/** Largest frame a node accepts before it is registered (a `registered` or `error` frame is small). */
export const PRE_REGISTER_MAX_BYTES = 64 * 1024;
/**
 * Largest frame a node accepts once registered: an `assign` carries up to
 * its slots' worth of programs, inline data included (16 MiB per job), so
 * this is well above the dispatcher's own max_message_bytes for node frames.
 */
export const NODE_MAX_INBOUND_BYTES = 512 * 1024 * 1024;

