import type { TSchema } from '@sinclair/typebox';
import { compiledValidator } from '../schema/compiled-validator.js';
import { DispatcherMessageSchema, NodeMessageSchema } from '../schema/node-protocol-schema.js';
import { project } from '../schema/project.js';
import { validator, type Validator } from '../schema/validator.js';
import type { DispatcherMessage, NodeMessage } from './messages.js';

/**
 * The one parser of node protocol v1, for both directions: the dispatcher
 * reads node frames with parseNodeMessage, browser tabs and `packetfs
 * worker` read dispatcher frames with parseDispatcherMessage. Every end
 * holds a frame to the same rules, the schemas in
 * src/schema/node-protocol-schema.ts: JSON text, within the size limit, an
 * object whose known fields have the documented types and bounds; unknown
 * fields are dropped, so additive changes need no version bump. What each
 * end does with a violation differs (the dispatcher closes with 4400 naming
 * the field; a node drops the frame and the dispatcher's timeouts cover its
 * jobs), the verdict does not.
 *
 * Nodes (browser tabs, workers) check with TypeBox's interpreter: it
 * generates no code, so the browser runtime runs it under a CSP that
 * forbids eval. The dispatcher, which reads every result of every node,
 * checks node frames with the compiled form of the same schema (several
 * times faster; the interpreter where code generation is refused). Either
 * way a refused frame is described by the same code (schema/validator.ts).
 */

// pure: a bundle without parseNodeMessage (the browser runtime) leaves the compiler out
const nodeFrames = /* @__PURE__ */ compiledValidator(NodeMessageSchema, { code: 'INVALID_MESSAGE' });
const dispatcherFrames = /* @__PURE__ */ validator(DispatcherMessageSchema, { code: 'INVALID_MESSAGE' });

/** A frame that breaks the protocol; `path` names the field at fault ('$' for the frame). */
export class ProtocolViolation extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ProtocolViolation';
  }
}

/** Node → dispatcher. */
export function parseNodeMessage(text: string): NodeMessage {
  return checked(NodeMessageSchema, nodeFrames, parseJson(text)) as NodeMessage;
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
  return checked(DispatcherMessageSchema, dispatcherFrames, parseJson(data)) as DispatcherMessage;
}

/** Serialises a frame (one place, so every send of every end goes through the protocol's types). */
export function encodeMessage(msg: NodeMessage | DispatcherMessage): string {
  return JSON.stringify(msg);
}

function checked(schema: TSchema, frames: Validator<unknown>, value: unknown): unknown {
  if (frames.check(value)) return project(schema, value);
  const failure = frames.fail(value);
  throw new ProtocolViolation(failure.path ?? '$', failure.message);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolViolation('$', 'not JSON');
  }
}
