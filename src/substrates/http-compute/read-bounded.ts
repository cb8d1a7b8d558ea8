/**
 * Reads a response body as JSON, refusing more than `maxBytes`: a runtime
 * (or anything pretending to be one) must not make the dispatcher buffer
 * without limit. Returns undefined for a body that is not JSON.
 */
export async function readBoundedJson(res: Response, maxBytes: number): Promise<unknown> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new RangeError(`reply of ${declared} bytes is over the ${maxBytes}-byte limit`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body !== null) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) throw new RangeError(`reply is over the ${maxBytes}-byte limit`);
      chunks.push(chunk);
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
