import type { JobSpec, JobStatus } from '../../job/types.js';

/**
 * The packed job state the Lua scripts keep per job in the queue's `state`
 * hash (lua/includes/job-state.lua has the format and why):
 *   "<st>|<att>|<seq>|<at>|<prio>|<max>|<substrates>|<created_at>"
 * Enqueue sends the part the scripts do not decide themselves.
 */
const STATUS: Record<string, JobStatus> = { q: 'queued', r: 'running', s: 'succeeded', f: 'failed', c: 'cancelled' };
const PACKED = /^([qrsfc])\|(\d+)\|(\d+)\|(\d+)\|(-?\d+)\|(\d+)\|([a-z0-9_,-]*)\|(.*)$/s;

export interface JobState {
  status: JobStatus;
  attempts: number;
  priority: number;
  substrates: string[] | null;
  createdAt: string;
  /** finished jobs: when the result expires (ms, Redis clock) */
  expiresAtMs: number | null;
}

/** "<prio>|<max_attempts>|<substrates>|<created_at>": the tail of a new job's state (enqueue-15.lua reads the priority from it). */
export function stateTail(job: JobSpec): string {
  return `${job.priority}|${job.max_attempts}|${job.substrates === null ? '' : job.substrates.join(',')}|${job.created_at}`;
}

/** null for a value that is not a state this store wrote (anyone with Redis access can write the hash). */
export function parseJobState(value: string): JobState | null {
  const m = PACKED.exec(value);
  if (m === null) return null;
  const status = STATUS[m[1]!]!;
  const finished = status !== 'queued' && status !== 'running';
  return {
    status,
    attempts: Number(m[2]),
    priority: Number(m[5]),
    substrates: m[7] === '' ? null : m[7]!.split(','),
    createdAt: m[8]!,
    expiresAtMs: finished ? Number(m[4]) : null,
  };
}

/**
 * Attempt, seq and enqueued-at (ms) of the state take() gives a job it leases
 * ("r|<att>|<seq>|<at>|…"; take-15.lua sends it instead of taking it apart).
 * Per lease on the hot path: index arithmetic, no regex.
 */
export function leasedHead(state: string): [attempt: number, seq: string, enqueuedAt: number] {
  const a = state.indexOf('|', 2);
  const b = state.indexOf('|', a + 1);
  return [Number(state.slice(2, a)), state.slice(a + 1, b), Number(state.slice(b + 1, state.indexOf('|', b + 1)))];
}
