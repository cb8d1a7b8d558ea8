import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { PacketFSError } from '../../errors.js';
import { readFrames } from '../../dashboard/frame-stream.js';
import type { DashboardFrame } from '../../dashboard/snapshot.js';
import { withClientOptions, type ClientFlags } from '../client-options.js';
import { printLine } from '../output.js';
import { topLines } from '../top-screen.js';
import { isTerminalOut, TopTerminal } from '../top-terminal.js';
import { cliIo } from '../cli-io.js';
import { Backoff, type BackoffPolicy } from '../../util/backoff.js';

/** a person watches the countdown: no jitter */
const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 10_000, jitter: 'none' };

/**
 * `packetfs top`: the dashboard's live numbers in a terminal, from the same
 * stream (GET /v1/dashboard/stream, token in the header). On a TTY it
 * redraws in place on the alternate screen (top-terminal.ts) until q or
 * Ctrl-C, reconnecting if the stream drops; in a pipe it prints each frame as
 * plain text (or JSON lines with --json), and --once prints one frame and exits.
 */
export function registerTop(program: Command): void {
  withClientOptions(program.command('top'))
    .description('live deployment numbers, refreshed every second (the dashboard in a terminal)')
    .option('--once', 'print one frame and exit')
    .option('--json', 'print frames as JSON (one per line)')
    .action(async (flags: ClientFlags & { once?: boolean; json?: boolean }) => {
      const stdout = cliIo().stdout;
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const screen = flags.json !== true && flags.once !== true && isTerminalOut(stdout) ? new TopTerminal(stdout, process.stdin, stop) : null;
      try {
        await follow(flags, controller, (frame) => {
          // one network chunk can hold several frames: --once (or q) means none after the stop
          if (controller.signal.aborted) return;
          if (flags.json) stdout.write(JSON.stringify(frame) + '\n');
          else if (screen !== null) screen.draw((width) => topLines(frame, width));
          else printLine(topLines(frame).join('\n') + '\n');
          if (flags.once) controller.abort();
        }, screen);
      } finally {
        screen?.close();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}

/** Reads frames until aborted; on a TTY a dropped stream is retried with backoff, elsewhere it ends the command. */
async function follow(flags: ClientFlags, controller: AbortController, onFrame: (f: DashboardFrame) => void, screen: TopTerminal | null): Promise<void> {
  const backoff = new Backoff(RECONNECT_BACKOFF);
  while (!controller.signal.aborted) {
    let why = 'the stream ended';
    try {
      await readFrames({ baseUrl: flags.server, signal: controller.signal, ...(flags.token ? { token: flags.token } : {}) }, (frame) => {
        backoff.reset();
        onFrame(frame);
      });
      if (controller.signal.aborted) return;
      if (screen === null) throw new PacketFSError('UNREACHABLE', 'the dashboard stream ended');
    } catch (err) {
      if (screen === null || (err instanceof PacketFSError && err.code === 'UNAUTHORIZED')) throw err;
      why = (err as Error).message;
    }
    const delayMs = backoff.next();
    screen?.status(`reconnecting in ${delayMs / 1000} s: ${why}`);
    // quitting during the wait quits at once
    await sleep(delayMs, undefined, { signal: controller.signal }).catch(() => undefined);
  }
}
