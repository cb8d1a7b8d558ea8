/**
 * Node protocol v1 (docs/protocol.md): the messages a browser or Node.js node
 * and the dispatcher exchange over /v1/nodes/ws, as JSON text frames, and the
 * bounds both sides hold them to. The message types and bounds come from
 * their schemas (src/schema/node-protocol-schema.ts); the endpoint, close
 * codes and frame-size limits are here. Runtime-neutral (no Node imports):
 * the browser runtime is bundled from it too.
 */
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

export {
  LIMITS, PROTOCOL_VERSION,
  type Assignment, type AssignMessage, type ByeMessage, type DispatcherMessage, type DrainMessage, type ErrorMessage, type HeartbeatMessage,
  type NodeCapabilities, type NodeKind, type NodeMessage, type NodeResult, type RegisteredMessage, type RegisterMessage, type ResultsMessage,
} from '../schema/node-protocol-schema.js';

/** Largest frame a node accepts before it is registered (a `registered` or `error` frame is small). */
export const PRE_REGISTER_MAX_BYTES = 64 * 1024;
/**
 * Largest frame a node accepts once registered: an `assign` carries up to
 * its slots' worth of programs, inline data included (16 MiB per job), so
 * this is well above the dispatcher's own max_message_bytes for node frames.
 */
export const NODE_MAX_INBOUND_BYTES = 512 * 1024 * 1024;

