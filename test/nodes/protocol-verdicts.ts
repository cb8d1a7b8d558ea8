import { parseDispatcherMessage, parseNodeMessage, ProtocolViolation } from '../../src/node-protocol/index.js';

/**
 * The verdict of the node-protocol parser on one frame, as data: what it
 * accepted (the parsed message) or which field it refused. Runs in Node
 * and, bundled by protocol-ends.test.ts, in Chromium — the same function,
 * so the verdicts can be compared.
 */
export interface Frame {
  /** `node`: a frame a node sends (read by the dispatcher); `dispatcher`: one the dispatcher sends (read by nodes) */
  from: 'node' | 'dispatcher';
  text: string;
  maxBytes: number;
}

export type Verdict = { ok: true; message: unknown } | { ok: false; path: string } | { ok: false; crashed: string };

export function verdicts(frames: Frame[]): Verdict[] {
  return frames.map((f) => {
    try {
      const message = f.from === 'node' ? parseNodeMessage(f.text) : parseDispatcherMessage(f.text, f.maxBytes);
      return { ok: true, message: JSON.parse(JSON.stringify(message)) as unknown };
    } catch (err) {
      if (err instanceof ProtocolViolation) return { ok: false, path: err.path };
      return { ok: false, crashed: String(err) };
    }
  });
}

(globalThis as { protocolVerdicts?: typeof verdicts }).protocolVerdicts = verdicts;
