import { isIP } from 'node:net';
import { PacketFSError } from '../errors.js';

/** True for hosts only this machine can reach: localhost, 127.0.0.0/8, ::1 (also IPv4-mapped). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost') return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  if (isIP(lower) === 6) {
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

/**
 * Refuses to listen where other machines can connect without a token, unless
 * told to (`--allow-insecure-listen`): an open dispatcher or worker runs
 * anyone's jobs, reading any URL its address policy lets through. Used by
 * `serve` and `worker --http` alike.
 */
export function assertListenAllowed(host: string, token: string | undefined, allowInsecureListen: boolean): void {
  if (isLoopbackHost(host) || token !== undefined || allowInsecureListen) return;
  throw new PacketFSError('INVALID_REQUEST',
    `refusing to listen on non-loopback host ${host} without a token: set a token (--token or PACKETFS_TOKEN) or pass --allow-insecure-listen`,
    { path: 'host' });
}
