/** Type-and-range predicates shared by program and job validation (no allocation, no throw). */

export function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** A finite number with min < v <= max (durations and timeouts: zero makes no sense). */
export function isPositiveUpTo(v: unknown, max: number): v is number {
  return typeof v === 'number' && v > 0 && v <= max;
}

/** A plain JSON-style object: not null, not an array, not a class instance. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
