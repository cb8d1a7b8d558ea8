import type { OpResult } from '../ops/types.js';
import { isErrorCode, type ErrorCode } from '../errors.js';
import {
  LIMITS, PROTOCOL_VERSION,
  type Assignment, type DispatcherMessage, type NodeCapabilities, type NodeMessage, type NodeResult, type RegisterMessage, type ResultsMessage,
} from './messages.js';

/**
 * The one parser of node protocol v1, for both directions: the dispatcher
 * reads node frames with parseNodeMessage, browser tabs and `packetfs
 * worker` read dispatcher frames with parseDispatcherMessage. Every end
 * holds a frame to the same rules: JSON text, within the size limit, an
 * object whose known fields have the documented types and bounds (LIMITS);
 * unknown fields are ignored, so additive changes need no version bump.
 * What each end does with a violation differs (the dispatcher closes with
 * 4400 naming the field; a node drops the frame and the dispatcher's
 * timeouts cover its jobs), the verdict does not. Runtime-neutral.
 */

/** A frame that breaks the protocol; `path` names the field at fault ('$' for the frame). */
export class ProtocolViolation extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ProtocolViolation';
  }
}

type Obj = Record<string, unknown>;

/** Node → dispatcher. */
export function parseNodeMessage(text: string): NodeMessage {
  const msg = object(parseJson(text), '$');
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

/**
 * Dispatcher → node. `data` is what the socket delivered (a node refuses
 * binary frames); `maxBytes` the node's limit (PRE_REGISTER_MAX_BYTES until
 * `registered` announces max_message_bytes). Programs inside an assignment
 * are only checked to be objects here: each is validated when it runs, so
 * one bad job fails alone.
 */
export function parseDispatcherMessage(data: unknown, maxBytes: number): DispatcherMessage {
  if (typeof data !== 'string') throw new ProtocolViolation('$', 'expected a JSON text frame');
  // UTF-16 length is a lower bound of the UTF-8 size: enough to refuse the obviously too big before parsing
  if (data.length > maxBytes) throw new ProtocolViolation('$', `frame of ${data.length} characters is over the ${maxBytes}-byte limit`);
  const msg = object(parseJson(data), '$');
  switch (msg.type) {
    case 'registered': {
      const nodeId = str(msg.node_id, 'node_id', LIMITS.maxIdLength);
      if (!NODE_ID.test(nodeId)) throw new ProtocolViolation('node_id', 'may hold letters, digits and . _ : - only');
      return {
        type: 'registered', node_id: nodeId,
        heartbeat_ms: int(msg.heartbeat_ms, 'heartbeat_ms', 1, LIMITS.maxHeartbeatMs),
        max_message_bytes: int(msg.max_message_bytes, 'max_message_bytes', 1, LIMITS.maxMessageBytes),
        max_batch: int(msg.max_batch, 'max_batch', 1, LIMITS.maxBatch),
      };
    }
    case 'assign': {
      if (!Array.isArray(msg.jobs) || msg.jobs.length === 0 || msg.jobs.length > LIMITS.maxBatch) {
        throw new ProtocolViolation('jobs', `must be an array of 1..${LIMITS.maxBatch} assignments`);
      }
      const jobs = new Array<Assignment>(msg.jobs.length);
      for (let i = 0; i < jobs.length; i++) jobs[i] = parseAssignment(msg.jobs[i], `jobs[${i}]`);
      return { type: 'assign', jobs };
    }
    case 'drain': return { type: 'drain' };
    case 'error': return { type: 'error', code: errorCode(msg.code, 'code'), message: str(msg.message, 'message', LIMITS.maxErrorMessageLength) };
    default: throw new ProtocolViolation('type', 'must be registered, assign, drain or error');
  }
}

/** Serialises a frame (one place, so every send of every end goes through the protocol's types). */
export function encodeMessage(msg: NodeMessage | DispatcherMessage): string {
  return JSON.stringify(msg);
}

const NODE_ID = /^[A-Za-z0-9._:-]+$/;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolViolation('$', 'not JSON');
  }
}

function parseAssignment(value: unknown, path: string): Assignment {
  const a = object(value, path);
  return {
    assignment_id: str(a.assignment_id, `${path}.assignment_id`, LIMITS.maxIdLength),
    job_id: str(a.job_id, `${path}.job_id`, LIMITS.maxJobIdLength),
    program: object(a.program, `${path}.program`) as unknown as Assignment['program'],
    timeout_ms: int(a.timeout_ms, `${path}.timeout_ms`, 1, LIMITS.maxTimeoutMs),
  };
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
    if (!NODE_ID.test(register.node_id)) throw new ProtocolViolation('node_id', 'may hold letters, digits and . _ : - only');
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
  return {
    assignment_id, ok: false, exec_time_ms,
    error: { code: errorCode(error.code, `${path}.error.code`), message: str(error.message, `${path}.error.message`, LIMITS.maxErrorMessageLength) },
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

function errorCode(value: unknown, path: string): ErrorCode {
  const code = str(value, path, LIMITS.maxErrorCodeLength);
  if (!isErrorCode(code)) throw new ProtocolViolation(path, 'must be one of the error codes in src/errors.ts');
  return code;
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
