/**
 * What both queues of the Redis benchmark are given, and how child processes
 * report back: one JSON line on stdout each time they have something to say.
 */
export const TINY_BYTES = 64;
/** every 4th byte is 42: counteq(42) of each job is 16 */
export const TINY_DATA = Buffer.from(Array.from({ length: TINY_BYTES }, (_, i) => (i % 4 === 0 ? 42 : 0))).toString('base64');
export const TINY_IMM = 42;
export const TINY_COUNT = 16;

export function report(message: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(message) + '\n');
}
