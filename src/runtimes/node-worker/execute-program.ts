import { isRetryableCode, PacketFSError, toErrorBody } from '../../errors.js';
import type { ProgramSpec } from '../../job/types.js';
import { runOps } from '../../ops/index.js';
import { readInlineWindow, runWindowProgram, type OpsOffload, type WindowContext } from '../../data/window.js';
import type { ExecOutcome, ExecRequest } from '../../substrates/substrate.js';

/**
 * Runs one program where it lands (a worker thread, a volunteer node, a
 * cloud function): read the window, run the ops, shape the outcome. Never
 * throws: a job's own failure is an ok:false outcome saying whether a retry
 * could help.
 */

const MAX_TIMER_MS = 2 ** 31 - 1;

/** All a runtime needs of an ExecRequest (an ExecRequest is one). */
export type ProgramRequest = Pick<ExecRequest, 'program' | 'deadline'>;


/** The ok:false outcome for anything thrown, classified by its code. */
export function failedOutcome(err: unknown, execTimeMs: number): ExecOutcome {
  const error = toErrorBody(err);
  return { ok: false, error, retryable: isRetryableCode(error.code), exec_time_ms: execTimeMs };
}

/** Reads the window and runs the ops (`offload`: see runWindowProgram); the deadline aborts a slow read with TIMEOUT. */
export async function executeProgram(req: ProgramRequest, ctx: WindowContext, offload?: OpsOffload): Promise<ExecOutcome> {
  const startedAt = performance.now();
  if (req.program.data !== undefined) return executeInline(req.program, req.deadline, ctx);
  if (Date.now() >= req.deadline) return failedOutcome(deadlinePassed(), 0);
  const deadline = new AbortController();
  // setTimeout treats a delay past 2^31-1 ms or NaN as 1 ms, which would abort at once.
  const timer = Number.isFinite(req.deadline)
    ? setTimeout(abortAtDeadline, Math.min(req.deadline - Date.now(), MAX_TIMER_MS), deadline)
    : undefined;
  try {
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, deadline.signal]) : deadline.signal;
    const { results, bytes } = await runWindowProgram(req.program, { ...ctx, signal }, offload);
    return { ok: true, result: req.program.single ? results[0]! : results, bytes_processed: bytes, exec_time_ms: elapsedMs(startedAt) };
  } catch (err) {
    return failedOutcome(err, elapsedMs(startedAt));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The synchronous path for inline data: decoding and the ops are pure CPU,
 * so a worker runs many of these in a tight loop without a promise per job.
 * A job already past its deadline is not started.
 */
export function executeInline(program: ProgramSpec, deadline: number, ctx: WindowContext): ExecOutcome {
  const startedAt = performance.now();
  if (Date.now() >= deadline) return failedOutcome(deadlinePassed(), 0);
  try {
    return succeeded(program, readInlineWindow(program, ctx), startedAt);
  } catch (err) {
    return failedOutcome(err, elapsedMs(startedAt));
  }
}

function succeeded(program: ProgramSpec, bytes: Uint8Array, startedAt: number): ExecOutcome {
  // Programs arrive over the wire; an empty list would make the single-op result undefined.
  if (!Array.isArray(program.ops) || program.ops.length === 0) {
    throw new PacketFSError('INVALID_JOB', 'program needs at least one op', { path: 'program.ops' });
  }
  const results = runOps(program.ops, bytes, program.fnv_state);
  return {
    ok: true,
    result: program.single ? results[0]! : results,
    bytes_processed: bytes.length,
    exec_time_ms: elapsedMs(startedAt),
  };
}

function abortAtDeadline(controller: AbortController): void {
  controller.abort(new PacketFSError('TIMEOUT', 'the job passed its deadline (timeout_s) while reading its data'));
}

function deadlinePassed(): PacketFSError {
  return new PacketFSError('TIMEOUT', 'the job passed its deadline (timeout_s) before it started');
}

/** Milliseconds since `startedAt`, to the microsecond (more digits only bloat result records). */
function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000;
}
