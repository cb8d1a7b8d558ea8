import type { CliStream } from './cli-io.js';

/** Lines for a terminal `width` columns wide. */
export type Render = (width: number) => string[];

const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
const CURSOR_HIDE = '\x1b[?25l';
const CURSOR_SHOW = '\x1b[?25h';
const HOME = '\x1b[H';
const ERASE_LINE_END = '\x1b[K';
const ERASE_BELOW = '\x1b[J';
const ERASE_SCREEN = '\x1b[2J';
/** q, Q and Ctrl-C (which arrives as a byte, not SIGINT, while the terminal is in raw mode) */
const QUIT_KEYS = new Set(['q', 'Q', '\x03']);

/** A CLI output stream that is a terminal: it knows its size and says when it changes (a tty.WriteStream). */
export interface TerminalOut extends CliStream {
  isTTY: true;
  on(event: 'resize', listener: () => void): unknown;
  off(event: 'resize', listener: () => void): unknown;
}

export function isTerminalOut(out: CliStream): out is TerminalOut {
  const events = out as Partial<Pick<TerminalOut, 'on' | 'off'>>;
  return out.isTTY === true && typeof events.on === 'function' && typeof events.off === 'function';
}

/**
 * The terminal side of `packetfs top`. Each frame is drawn over the last in
 * place on the alternate screen — cursor home, every line erased to its end,
 * the rest of the screen erased below — cut to the terminal's width and to
 * one line fewer than its height, so the screen never scrolls. A resize
 * clears the screen and redraws the last frame at once at the new size.
 * Keys are read in raw mode (so a key needs no Enter): q or Ctrl-C quits.
 *
 * State: open (alternate screen, cursor hidden, stdin raw when it is a
 * terminal) → closed, final: close() gives the cursor, the main screen and
 * the terminal's mode back, and later draws do nothing.
 */
export class TopTerminal {
  private last: Render | null = null;
  private closed = false;
  private readonly onResize = (): void => {
    this.out.write(ERASE_SCREEN);
    if (this.last !== null) this.paint(this.last);
  };
  private readonly onKey = (chunk: Buffer | string): void => {
    if ([...chunk.toString()].some((key) => QUIT_KEYS.has(key))) this.onQuit();
  };

  constructor(private readonly out: TerminalOut, private readonly input: NodeJS.ReadStream, private readonly onQuit: () => void) {
    out.write(ALT_SCREEN_ON + CURSOR_HIDE + ERASE_SCREEN);
    out.on('resize', this.onResize);
    if (input.isTTY) {
      input.setRawMode(true);
      input.on('data', this.onKey);
      input.resume();
    }
  }

  draw(render: Render): void {
    if (this.closed) return;
    this.last = render;
    this.paint(render);
  }

  /** One line over the top of the screen (the last frame stays below it). */
  status(text: string): void {
    if (!this.closed) this.out.write(`${HOME}${this.fit([text])[0]}${ERASE_LINE_END}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.off('resize', this.onResize);
    if (this.input.isTTY) {
      this.input.off('data', this.onKey);
      this.input.setRawMode(false);
      this.input.pause();
    }
    this.out.write(CURSOR_SHOW + ALT_SCREEN_OFF);
  }

  private paint(render: Render): void {
    const shown = this.fit(render(this.width())).map((line) => line + ERASE_LINE_END);
    this.out.write(`${HOME}${shown.join('\n')}\n${ERASE_BELOW}`);
  }

  /** At most rows − 1 lines (the newline after the last one must not scroll), each at most the width. */
  private fit(lines: string[]): string[] {
    const width = this.width();
    const rows = this.out.rows !== undefined && this.out.rows > 1 ? this.out.rows : 40;
    return lines.slice(0, rows - 1).map((l) => (l.length > width ? l.slice(0, width) : l));
  }

  private width(): number {
    return this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : 100;
  }
}
