import type { Assignment, DispatcherMessage } from '../../substrates/node-pool/protocol.js';

/**
 * Checks a dispatcher → node frame just enough to act on it safely; each
 * program is then validated by executeProgram as it runs. Returns null for
 * anything malformed (a volunteer ignores what it cannot understand).
 */
export function parseDispatcherMessage(text: string): DispatcherMessage | null {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as Record<string, unknown>;
  switch (m.type) {
    case 'registered':
      return typeof m.node_id === 'string' && positive(m.heartbeat_ms) ? msg as DispatcherMessage : null;
    case 'assign':
      return Array.isArray(m.jobs) && m.jobs.every(isAssignment) ? msg as DispatcherMessage : null;
    case 'drain':
      return { type: 'drain' };
    case 'error':
      return { type: 'error', code: String(m.code), message: String(m.message) };
    default:
      return null;
  }
}

function isAssignment(value: unknown): value is Assignment {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Record<string, unknown>;
  return typeof a.assignment_id === 'string' && typeof a.program === 'object' && a.program !== null && positive(a.timeout_ms);
}

function positive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
