import { PacketFSError } from '../errors.js';

/** Query strings parsed by Fastify: repeated keys become arrays, which we refuse rather than guess. */
export type Query = Record<string, string | string[] | undefined>;

export function stringParam(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new PacketFSError('INVALID_REQUEST', `${name} must be given once`, { path: name });
  return value;
}

/** An integer in [min, max]; `fallback` when absent. */
export function intParam(query: Query, name: string, min: number, max: number, fallback: number): number {
  const raw = stringParam(query, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new PacketFSError('INVALID_REQUEST', `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`, { path: name });
  }
  return Number(raw);
}

/** A number of seconds in [0, max], fractions allowed (a long-poll `wait`). */
export function secondsParam(query: Query, name: string, max: number): number {
  const raw = stringParam(query, name);
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new PacketFSError('INVALID_REQUEST', `${name} must be a number of seconds from 0 to ${max}, got ${JSON.stringify(raw)}`, { path: name });
  }
  return value;
}

/** A flag: 1/true or 0/false; false when absent. */
export function booleanParam(query: Query, name: string): boolean {
  const raw = stringParam(query, name);
  if (raw === undefined) return false;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new PacketFSError('INVALID_REQUEST', `${name} must be 1, 0, true or false, got ${JSON.stringify(raw)}`, { path: name });
}
