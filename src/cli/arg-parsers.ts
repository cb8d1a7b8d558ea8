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

/** `--split auto` or `--split <window bytes>` (suffixes k, m, g: KiB, MiB, GiB). */
export function splitValue(value: string): 'auto' | { window_bytes: number } {
  if (value.trim() === 'auto') return 'auto';
  const match = /^(\d+)([kmg]?)$/i.exec(value.trim());
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match?.[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
  const bytes = match === null ? NaN : Number(match[1]) * scale;
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new InvalidArgumentError('expected "auto" or a window size in bytes, e.g. 8m');
  return { window_bytes: bytes };
}
