import { PacketFSError } from '../../errors.js';

/**
 * Reads a request body as JSON without ever holding more than `maxBytes`:
 * a declared Content-Length over the limit is refused before reading, and a
 * chunked body is cut off as soon as it passes the limit. The content type
 * is not checked: curl -d and fetch with a string body send other types,
 * and the body is JSON or refused either way.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw bodyTooLarge(maxBytes);
  const bytes = await readBounded(request, maxBytes);
  if (bytes.length === 0) throw new PacketFSError('INVALID_JSON', 'the body is empty; send a JSON compute request');
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new PacketFSError('INVALID_JSON', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

async function readBounded(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      // A failed cancel only means the stream already ended or errored.
      reader.cancel().catch(() => undefined);
      throw bodyTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) { out.set(chunk, at); at += chunk.length; }
  return out;
}

function bodyTooLarge(maxBytes: number): PacketFSError {
  return new PacketFSError('PAYLOAD_TOO_LARGE', `the body is over the limit of ${maxBytes} bytes; send fewer jobs per request or use data_url`);
}
