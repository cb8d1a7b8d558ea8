import { InvalidArgumentError } from 'commander';
import { OP_NAMES, type OpName } from '../ops/types.js';

/**
 * Flag value parsers for commander. Throwing InvalidArgumentError makes
 * commander report "option '--imm <n>' argument '300' is invalid. …", which
 * the CLI turns into a usage error (exit 2).
 */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return Number(value);
  };
}

export function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds ≥ 0');
  return n;
}

export function commaList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
  return items;
}

export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http(s) URL');
  return value;
}

export function redisUrl(value: string): string {
  if (!/^rediss?:\/\/./.test(value)) throw new InvalidArgumentError('expected a redis:// or rediss:// URL');
  return value;
}

/** `host:port[,host:port…]`: the seed nodes of a Redis Cluster. */
export function clusterNodes(value: string): string[] {
  const nodes = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const bad = nodes.find((n) => !CLUSTER_NODE.test(n));
  if (nodes.length === 0 || bad !== undefined) throw new InvalidArgumentError(`expected host:port[,host:port…]${bad === undefined ? '' : `, got '${bad}'`}`);
  return nodes;
}

export const CLUSTER_NODE = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

export function opName(value: string): OpName {
  if (!OP_NAMES.includes(value as OpName)) throw new InvalidArgumentError(`expected one of ${OP_NAMES.join(', ')}`);
  return value as OpName;
}

/** `crc32c,counteq:7` → [{op:'crc32c'}, {op:'counteq', imm:7}] */
export function opList(value: string): Array<{ op: OpName; imm?: number }> {
  return commaList(value).map((item) => {
    const [name = '', imm, extra] = item.split(':');
    if (extra !== undefined) throw new InvalidArgumentError(`"${item}": expected OP or OP:IMM`);
    const op = opName(name);
    if (imm === undefined) return { op };
    if (!/^\d+$/.test(imm) || Number(imm) > 255) throw new InvalidArgumentError(`"${item}": imm must be an integer from 0 to 255`);
    return { op, imm: Number(imm) };
  });
}

export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!choices.includes(value as T)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return value as T;
  };
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_DURATION_MS = 365 * 86_400_000;

/** `90` (seconds), `500ms`, `30s`, `15m`, `24h`, `7d` → milliseconds; at most a year. */
export function durationMs(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  const ms = match === null ? NaN : Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 's'] as number);
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) throw new InvalidArgumentError('expected a duration such as 3600, 30m, 24h or 7d (at most 365d)');
  return Math.round(ms);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** `1048576`, `8m` or `512MiB` (binary), `2GB` (decimal) → bytes (an integer up to 2^53). */
export function byteSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match === null ? undefined : SIZE_UNITS[(match[2] as string).toLowerCase()];
  const bytes = match === null || unit === undefined ? NaN : Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new InvalidArgumentError('expected a size such as 1048576, 8m, 512MiB or 2GB');
  return bytes;
}

/** `--split auto` or `--split <window bytes>` (suffixes k, m, g: KiB, MiB, GiB). */
export function splitValue(value: string): 'auto' | { window_bytes: number } {
  if (value.trim() === 'auto') return 'auto';
  let bytes = NaN;
  try {
    bytes = byteSize(value);
  } catch { /* reported below with this flag's own wording */ }
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new InvalidArgumentError('expected "auto" or a window size in bytes, e.g. 8m');
  return { window_bytes: bytes };
}
