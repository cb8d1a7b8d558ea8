import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A dispatcher's name on the dashboard: host, pid and a random suffix (a restarted process is a new dispatcher). */
export function dispatcherId(): string {
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 64) || 'host';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
