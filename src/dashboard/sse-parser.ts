/**
 * Incremental Server-Sent Events parser (the subset the dashboard stream
 * uses: `data:` lines, blank-line event ends, comments and `retry:` skipped).
 * Fed text chunks as they arrive; calls `onData` with each event's data.
 * An event larger than maxEventChars is an error rather than unbounded growth.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private dataChars = 0;

  constructor(private readonly onData: (data: string) => void, private readonly maxEventChars = 8 * 1024 * 1024) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf('\n', start);
      if (nl < 0) break;
      const line = this.buffer.slice(start, this.buffer[nl - 1] === '\r' ? nl - 1 : nl);
      start = nl + 1;
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length + this.dataChars > this.maxEventChars) throw new RangeError(`an event is over ${this.maxEventChars} characters`);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onData(this.data.join('\n'));
      this.data = [];
      this.dataChars = 0;
      return;
    }
    if (!line.startsWith('data:')) return;
    const value = line.slice(line[5] === ' ' ? 6 : 5);
    this.data.push(value);
    this.dataChars += value.length;
  }
}
