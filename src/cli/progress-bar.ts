import { cliIo } from './cli-io.js';

/**
 * A one-line progress bar for a terminal: bytes done of total, rate, ETA,
 * and an optional suffix (windows). It redraws in place with \r on a TTY
 * and draws nothing elsewhere, so pipes and logs stay plain. Redraws are
 * throttled (every REDRAW_MS at most) except the final one.
 *
 * States: idle ──update()──► drawing ──done()──► finished (line ended with \n)
 */
export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const REDRAW_MS = 100;
const BAR_CELLS = 24;

export class ProgressBar {
  private readonly startedAt: number;
  private lastDraw = 0;
  private drawn = false;
  private finished = false;

  constructor(private readonly label: string, private readonly out: ProgressSink = cliIo().stderr, private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  get active(): boolean {
    return this.out.isTTY === true;
  }

  update(done: number, total: number, suffix = ''): void {
    if (!this.active || this.finished) return;
    const t = this.now();
    if (t - this.lastDraw < REDRAW_MS && done < total) return;
    this.lastDraw = t;
    this.out.write(`\r${fitTo(formatProgressLine(this.label, done, total, (t - this.startedAt) / 1000, suffix), this.out.columns)}\x1b[K`);
    this.drawn = true;
  }

  /** Ends the line (if one was drawn), so what follows starts on a fresh line. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.drawn) this.out.write('\n');
  }
}

/** e.g. `upload [##########··············]  42%  420.0 MiB/1.0 GiB  812.3 MiB/s  ETA 1s  windows 3/8` */
export function formatProgressLine(label: string, done: number, total: number, elapsedS: number, suffix = ''): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * BAR_CELLS);
  const rate = elapsedS > 0 ? done / elapsedS : 0;
  const eta = rate > 0 && total > done ? `ETA ${formatDuration((total - done) / rate)}` : fraction >= 1 ? 'done' : 'ETA --';
  const parts = [
    `${label} [${'#'.repeat(filled)}${'·'.repeat(BAR_CELLS - filled)}]`,
    `${String(Math.floor(fraction * 100)).padStart(3)}%`,
    `${formatBytes(done)}/${formatBytes(total)}`,
    `${formatBytes(rate)}/s`,
    eta,
  ];
  if (suffix !== '') parts.push(suffix);
  return parts.join('  ');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function fitTo(line: string, columns: number | undefined): string {
  return columns !== undefined && columns > 10 && line.length >= columns ? line.slice(0, columns - 1) : line;
}
