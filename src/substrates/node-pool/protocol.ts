import type { ProgramSpec } from '../../job/types.js';
import type { OpResult } from '../../ops/types.js';
import { isErrorCode, type ErrorBody } from '../../errors.js';

/**
 * Node protocol v1 (docs/protocol.md): the messages a browser or Node.js node
 * and the dispatcher exchange over /v1/nodes/ws, as JSON text frames.
 * Runtime-neutral (no Node imports): the browser runtime builds against it too.
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

/** Bounds of what a node may declare or send. */
export const LIMITS = Object.freeze({
  maxSlots: 1024,
  maxBatch: 4096,
  maxIdLength: 128,
  maxTokenLength: 1024,
  maxUserAgentLength: 512,
  maxErrorMessageLength: 4096,
  maxResultOps: 64,
});

/** A message that breaks the protocol; the connection is closed with 4400 and this text. */
export class ProtocolViolation extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ProtocolViolation';
  }
}

type Obj = Record<string, unknown>;

/**
 * Parses and validates one node → dispatcher frame. Unknown fields are
 * ignored (so additive changes need no version bump); known ones must have
 * the documented type and bounds.
 */
export function parseNodeMessage(text: string): NodeMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolViolation('$', 'not JSON');
  }
  const msg = object(value, '$');
  switch (msg.type) {
    case 'register': return parseRegister(msg);
    case 'results': return parseResults(msg);
    case 'heartbeat': {
      if (msg.free_slots !== undefined) int(msg.free_slots, 'free_slots', 0, LIMITS.maxSlots);
      return msg.free_slots === undefined ? { type: 'heartbeat' } : { type: 'heartbeat', free_slots: msg.free_slots as number };
    }
    case 'bye': return { type: 'bye' };
    default: throw new ProtocolViolation('type', 'must be register, results, heartbeat or bye');
  }
}

function parseRegister(msg: Obj): RegisterMessage {
  if (msg.protocol !== PROTOCOL_VERSION) throw new ProtocolViolation('protocol', `unsupported protocol version; this dispatcher speaks ${PROTOCOL_VERSION}`);
  if (msg.kind !== 'browser' && msg.kind !== 'node') throw new ProtocolViolation('kind', 'must be "browser" or "node"');
  const caps = object(msg.capabilities, 'capabilities');
  const capabilities: NodeCapabilities = {
    cores: caps.cores === undefined ? 1 : int(caps.cores, 'capabilities.cores', 1, 4096),
    wasm: bool(caps.wasm, 'capabilities.wasm'),
    shared_array_buffer: bool(caps.shared_array_buffer, 'capabilities.shared_array_buffer'),
    webgl2: bool(caps.webgl2, 'capabilities.webgl2'),
    webgpu: bool(caps.webgpu, 'capabilities.webgpu'),
    user_agent: caps.user_agent === undefined ? '' : str(caps.user_agent, 'capabilities.user_agent', LIMITS.maxUserAgentLength),
  };
  if (caps.device_memory_gb !== undefined) {
    const gb = caps.device_memory_gb;
    if (typeof gb !== 'number' || !Number.isFinite(gb) || gb < 0 || gb > 1 << 20) throw new ProtocolViolation('capabilities.device_memory_gb', 'must be a number of GB');
    capabilities.device_memory_gb = gb;
  }
  const register: RegisterMessage = {
    type: 'register', protocol: PROTOCOL_VERSION, kind: msg.kind,
    slots: int(msg.slots, 'slots', 1, LIMITS.maxSlots), capabilities,
  };
  if (msg.token !== undefined) register.token = str(msg.token, 'token', LIMITS.maxTokenLength);
  if (msg.node_id !== undefined) {
    register.node_id = str(msg.node_id, 'node_id', LIMITS.maxIdLength);
    if (!/^[A-Za-z0-9._:-]+$/.test(register.node_id)) throw new ProtocolViolation('node_id', 'may hold letters, digits and . _ : - only');
  }
  return register;
}

function parseResults(msg: Obj): ResultsMessage {
  if (!Array.isArray(msg.results) || msg.results.length === 0 || msg.results.length > LIMITS.maxBatch) {
    throw new ProtocolViolation('results', `must be an array of 1..${LIMITS.maxBatch} results`);
  }
  const results = new Array<NodeResult>(msg.results.length);
  for (let i = 0; i < results.length; i++) results[i] = parseResult(msg.results[i], `results[${i}]`);
  return { type: 'results', results };
}

function parseResult(value: unknown, path: string): NodeResult {
  const r = object(value, path);
  const assignment_id = str(r.assignment_id, `${path}.assignment_id`, LIMITS.maxIdLength);
  const exec_time_ms = nonNegative(r.exec_time_ms, `${path}.exec_time_ms`);
  if (r.ok === true) {
    return {
      assignment_id, ok: true, exec_time_ms,
      result: opResults(r.result, `${path}.result`),
      bytes_processed: int(r.bytes_processed, `${path}.bytes_processed`, 0, Number.MAX_SAFE_INTEGER),
    };
  }
  if (r.ok !== false) throw new ProtocolViolation(`${path}.ok`, 'must be true or false');
  const error = object(r.error, `${path}.error`);
  const code = str(error.code, `${path}.error.code`, 64);
  if (!isErrorCode(code)) throw new ProtocolViolation(`${path}.error.code`, 'must be one of the error codes in src/errors.ts');
  return {
    assignment_id, ok: false, exec_time_ms,
    error: { code, message: str(error.message, `${path}.error.message`, LIMITS.maxErrorMessageLength) },
    retryable: bool(r.retryable, `${path}.retryable`),
  };
}

/** One op result object, or an array of them: flat objects of numbers and short strings. */
function opResults(value: unknown, path: string): OpResult | OpResult[] {
  if (!Array.isArray(value)) return opResult(value, path);
  if (value.length === 0 || value.length > LIMITS.maxResultOps) throw new ProtocolViolation(path, `must hold 1..${LIMITS.maxResultOps} op results`);
  return value.map((v, i) => opResult(v, `${path}[${i}]`));
}

function opResult(value: unknown, path: string): OpResult {
  const o = object(value, path);
  const keys = Object.keys(o);
  if (keys.length === 0 || keys.length > 8) throw new ProtocolViolation(path, 'must be an op result object');
  for (const k of keys) {
    const v = o[k];
    const fine = (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 64);
    if (!fine) throw new ProtocolViolation(`${path}.${k}`, 'must be a finite number or a short string');
  }
  return o as unknown as OpResult;
}

function object(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolViolation(path, 'must be an object');
  return value as Obj;
}

function str(value: unknown, path: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw new ProtocolViolation(path, `must be a string of 1..${max} characters`);
  return value;
}

function int(value: unknown, path: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) throw new ProtocolViolation(path, `must be an integer ${min}..${max}`);
  return value as number;
}

function nonNegative(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ProtocolViolation(path, 'must be a non-negative number');
  return value;
}

function bool(value: unknown, path: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new ProtocolViolation(path, 'must be true or false');
  return value;
}
