import { createInterface } from 'node:readline';
import { readFrames } from '../src/dashboard/frame-stream.js';

/**
 * Child of dashboard-bench.ts, started once so its own start-up does not
 * compete with a measured round: opens N dashboard streams, like N open
 * pages (argv: dispatcher URL, N), on the line "open" (answers "ready" once
 * every stream has had a frame) and closes them on "close" (answers with how
 * many frames each stream got, as JSON).
 */
const [url, countText] = process.argv.slice(2);
const count = Number(countText);
let controller: AbortController | null = null;
let frames: number[] = [];

function open(): void {
  const mine = new AbortController();
  controller = mine;
  frames = new Array<number>(count).fill(0);
  let ready = 0;
  for (let i = 0; i < count; i++) {
    void readFrames({ baseUrl: url!, signal: mine.signal }, () => {
      const seen = (frames[i] ?? 0) + 1;
      frames[i] = seen;
      if (seen === 1 && ++ready === count) process.stdout.write('ready\n');
    }).catch((err: unknown) => {
      process.stderr.write(`stream ${i}: ${(err as Error).message}\n`);
      process.exit(1);
    });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'open') open();
  else if (line === 'close') {
    controller?.abort();
    process.stdout.write(JSON.stringify({ frames }) + '\n');
  }
}).on('close', () => process.exit(0));
