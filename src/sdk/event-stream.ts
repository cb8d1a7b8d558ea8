/**
 * A minimal Server-Sent Events reader (the subset GET /v1/jobs/:id/events
 * sends): `event:` and `data:` lines, a blank line ends an event, lines
 * starting with ':' are comments. Runtime-neutral (fetch body streams).
 */
export interface ServerEvent {
  event: string;
  data: string;
}

/** Largest event accepted; a bigger one is a broken or hostile server. */
const MAX_EVENT_CHARS = 16 * 1024 * 1024;

export async function* readServerEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      if (buffer.length > MAX_EVENT_CHARS) throw new Error(`event stream sent an event over ${MAX_EVENT_CHARS} characters`);
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n') };
          event = 'message';
          data = [];
        } else if (line.startsWith(':')) {
          // a comment line (keep-alive): nothing to read
        } else if (line.startsWith('event:')) {
          event = line.slice(6).trim();
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
