import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { NINE_DIGITS_B64, serveDispatcher, type Served } from '../server/harness.js';
import { BUILT_CLI } from './run-cli.js';

/**
 * `packetfs top` on a real terminal: it runs in a pseudo-terminal made by
 * util-linux `script` (what a user's SSH session gives it), against a real
 * dispatcher running jobs, and the test reads the byte stream the terminal
 * would show: frames drawn over each other in place that never scroll, whose
 * numbers move; a resize redraws at the new size; q and Ctrl-C leave the
 * alternate screen, show the cursor and exit 0.
 */
const ALT_ON = '\x1b[?1049h';
const RESTORE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const CLEAR = '\x1b[2J';
/** any control sequence: ESC [ parameters letter */
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what this test reads
const CSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const ROWS = 30;
const COLS = 100;

let served: Served;
let dir: string;

before(async () => {
  served = await serveDispatcher({ dispatcher: { dashboardIntervalMs: 200 } });
  dir = await mkdtemp(join(tmpdir(), 'packetfs-top-tty-'));
});

after(async () => {
  await served?.close();
  await rm(dir, { recursive: true, force: true });
});

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `packetfs top` in a pseudo-terminal of COLS × ROWS; the terminal's device name is written to `ttyFile`. */
class TopInPty {
  output = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly ttyFile: string) {
    const command = `stty cols ${COLS} rows ${ROWS} && tty > ${quote(ttyFile)} && exec ${[process.execPath, BUILT_CLI, 'top', '--server', served.url].map(quote).join(' ')}`;
    const env = { ...process.env };
    for (const name of ['PACKETFS_SERVER', 'PACKETFS_TOKEN']) delete env[name];
    this.child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: process.cwd(), env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.output += chunk;
      for (const wake of this.waiters) wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { this.output += chunk; });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
  }

  /** Resolves when `cond` holds for the output so far; fails after 20 s, showing the output. */
  until(what: string, cond: (output: string) => boolean): Promise<void> {
    if (cond(this.output)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; the terminal got: ${JSON.stringify(this.output.slice(-3000))}`));
      }, 20_000);
      const check = (): void => {
        if (!cond(this.output)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** Types keys into the terminal, as a user would. */
  type(keys: string): void {
    this.child.stdin!.write(keys);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** The frames drawn from `from` on: each starts at cursor-home; escape sequences removed, lines split. */
function frames(output: string, from = 0): string[][] {
  return output.slice(from).split(HOME).slice(1)
    .map((f) => f.replace(CSI, '').replace(/\r/g, '').split('\n'));
}

const succeeded = (frame: string[]): number | null => {
  const match = /succeeded (\d+)/.exec(frame.join('\n'));
  return match === null ? null : Number(match[1]);
};

/** True once a frame drawn after `from` shows `count` succeeded jobs. */
const shows = (count: number, from = 0) => (output: string): boolean => frames(output, from).some((f) => succeeded(f) === count);

function assertFits(drawn: string[][], cols: number, rows: number): void {
  assert.ok(drawn.length > 0);
  for (const frame of drawn) {
    // each frame ends with a newline after its last line: rows − 1 lines at most keeps the cursor on screen
    assert.ok(frame.length - 1 <= rows - 1, `a frame of ${frame.length - 1} lines in ${rows} rows would scroll`);
    for (const line of frame) assert.ok(line.length <= cols, `a line of ${line.length} columns in ${cols}: ${line}`);
  }
}

async function submit(count: number): Promise<void> {
  const ids = await served.dispatcher.submitJobs(Array.from({ length: count }, () => ({ program: { op: 'crc32c', data: NINE_DIGITS_B64 } })));
  assert.equal(ids.length, count);
}

test('on a terminal, top redraws in place while jobs run, redraws on resize, and q restores the terminal', async () => {
  const pty = new TopInPty(join(dir, 'tty-q'));
  try {
    await pty.until('the first frame', shows(0));
    assert.ok(pty.output.startsWith(ALT_ON), 'it opens the alternate screen first');
    assert.ok(pty.output.includes('\x1b[?25l'), 'and hides the cursor');

    await submit(40);
    await pty.until('40 jobs on screen', shows(40));
    await submit(40);
    await pty.until('80 jobs on screen', shows(80));
    const counts = frames(pty.output).map(succeeded).filter((n): n is number => n !== null);
    assert.ok(counts.length >= 3, `${counts.length} frames`);
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'the count only goes up');
    assert.ok(new Set(counts).size >= 3, `the numbers moved: ${[...new Set(counts)].join(', ')}`);
    assert.ok(frames(pty.output).every((f) => f[0]!.startsWith('packetfs top — ')), 'every frame starts at the top left');
    assertFits(frames(pty.output), COLS, ROWS);
    assert.ok(!pty.output.includes('\x1b[?1049l'), 'still on the alternate screen');

    // the user's terminal shrinks: the screen is cleared and the last frame redrawn at the new size.
    // stty sets the width and the height one after the other (two resizes); a frame taller than 7 lines
    // cannot fit 8 rows, so only a redraw after the second can pass this wait.
    const tty = (await readFile(pty.ttyFile, 'utf8')).trim();
    assert.match(tty, /^\/dev\/pts\/\d+$/);
    const mark = pty.output.length;
    await promisify(execFile)('stty', ['-F', tty, 'cols', '60', 'rows', '8']);
    const afterLastClear = (out: string): string[][] => (out.lastIndexOf(CLEAR) < mark ? [] : frames(out, out.lastIndexOf(CLEAR)));
    await pty.until('a redraw at 60 × 8', (out) => afterLastClear(out).some((f) => f.length - 1 <= 7 && f.every((l) => l.length <= 60)));
    await submit(5);
    await pty.until('85 jobs at the new size', (out) => afterLastClear(out).some((f) => succeeded(f) === 85));
    assertFits(afterLastClear(pty.output), 60, 8);

    pty.type('q');
    assert.equal(await pty.exited, 0);
    assert.ok(pty.output.endsWith(RESTORE), `the cursor and the main screen come back last: ${JSON.stringify(pty.output.slice(-40))}`);
  } finally {
    pty.kill();
  }
});

test('Ctrl-C on a terminal quits top cleanly too', async () => {
  const pty = new TopInPty(join(dir, 'tty-c'));
  try {
    await pty.until('the first frame', (out) => frames(out).some((f) => succeeded(f) !== null));
    pty.type('\x03');
    assert.equal(await pty.exited, 0);
    assert.ok(pty.output.endsWith(RESTORE), JSON.stringify(pty.output.slice(-40)));
  } finally {
    pty.kill();
  }
});
