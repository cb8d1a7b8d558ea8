import type { Static, TSchema } from '@sinclair/typebox';
import { ValueErrorType, Errors, type ValueError } from '@sinclair/typebox/errors';
import { Check } from '@sinclair/typebox/value';
import { PacketFSError, type ErrorCode } from '../errors.js';
import { fieldPath, indexPath } from './field-path.js';
import { unknownFieldMessage } from './unknown-field.js';
import { Type } from './type.js';

/**
 * A schema turned into the two things callers need: a yes/no `check`, and,
 * only when the check fails, `fail`: the first problem as a PacketFSError
 * with a stable code, the field at fault as a `jobs[3].program.imm` path, and
 * the message the schema itself carries (`errorMessage`, see MessageOptions).
 *
 * This one checks with TypeBox's interpreter: no code generation, small in a
 * bundle, right for the browser and edge runtimes that see one program at a
 * time. The dispatcher's submit path uses compiled-validator.ts instead.
 */
export interface Validator<T> {
  check(value: unknown): value is T;
  /** The error for a value `check` refused; `base` prefixes the path (e.g. `jobs[3]`). */
  fail(value: unknown, base?: string): PacketFSError;
}

export interface ValidatorOptions {
  /** the error code of every failure (INVALID_JOB for jobs, INVALID_REQUEST for the rest) */
  code: ErrorCode;
  /** the message for an unknown key, when not the generic one (config keys that look like secrets, say) */
  unknownKey?: (key: string, path: string, known: readonly string[]) => string;
}

export function validator<S extends TSchema>(schema: S, opts: ValidatorOptions): Validator<Static<S>> {
  return { check: (value): value is Static<S> => Check(schema, value), fail: (value, base = '') => describeFailure(schema, value, base, opts) };
}

/** The schema keywords this project adds (stripped from the OpenAPI document). */
export interface MessageOptions {
  /**
   * What a bad value of this field is told. `{key}` is the field's own name
   * (aliases share one schema), `{path}` its whole path, `{value}` the value
   * shown briefly, `{json}` the value as JSON.
   */
  errorMessage?: string;
  /** On a union of objects: the property whose constant picks the variant (`type`), so errors come from that variant. */
  discriminator?: string;
  /** On such a union: what a value with no matching constant is told (at the discriminator's path). */
  discriminatorMessage?: string;
  /** What a missing required field is told; default "<key> is required". */
  requiredMessage?: string;
}

/** The first problem of a value the schema refuses, as the error a client reads. */
export function describeFailure(schema: TSchema, value: unknown, base: string, opts: ValidatorOptions): PacketFSError {
  const first = firstError(Errors(schema, value).First());
  if (first === undefined) return new PacketFSError(opts.code, 'value does not match its schema', base === '' ? {} : { path: base });
  const keys = pointerKeys(first.path);
  const path = pathOf(base, keys, value);
  const key = keys.length === 0 ? base : keys[keys.length - 1]!;
  const own = first.schema as TSchema & MessageOptions;
  let message: string;
  if (first.type === ValueErrorType.ObjectAdditionalProperties) {
    const known = Object.keys((first.schema as { properties?: object }).properties ?? {});
    message = opts.unknownKey ? opts.unknownKey(key, path, known) : unknownFieldMessage(key, known);
  } else if (first.type === ValueErrorType.ObjectRequiredProperty) {
    message = own.requiredMessage ?? `${key} is required`;
  } else if (own.errorMessage !== undefined) {
    message = own.errorMessage.replaceAll('{key}', key).replaceAll('{path}', path).replaceAll('{value}', shown(first.value))
      .replaceAll('{json}', json(first.value));
  } else {
    message = `${key === '' ? 'the value' : key}: ${first.message.toLowerCase()}`;
  }
  return new PacketFSError(opts.code, message, path === '' ? {} : { path });
}

/**
 * A failed union reports its own error, which hides the useful one: for a
 * value that can only have meant one variant (the only object variant for
 * an object, say) the error inside that variant is the one to show.
 */
function firstError(error: ValueError | undefined): ValueError | undefined {
  if (error === undefined || error.type !== ValueErrorType.Union) return error;
  const variants = (error.schema as { anyOf?: TSchema[] }).anyOf ?? [];
  const kind = jsonType(error.value);
  const discriminator = (error.schema as MessageOptions).discriminator;
  if (discriminator !== undefined && kind === 'object') return discriminated(error, variants, discriminator);
  const matching = variants.flatMap((v, i) => (schemaTypes(v).includes(kind) ? [i] : []));
  if (matching.length !== 1) return error;
  const inner = firstError(error.errors[matching[0]!]?.First());
  if (inner === undefined) return error;
  // an inner error without a message of its own ("expected 'auto'") is worse than the union's
  const unionMessage = (error.schema as MessageOptions).errorMessage;
  const innerHasMessage = (inner.schema as MessageOptions).errorMessage !== undefined ||
    inner.type === ValueErrorType.ObjectAdditionalProperties || inner.type === ValueErrorType.ObjectRequiredProperty;
  return unionMessage !== undefined && !innerHasMessage ? error : inner;
}

/** The error inside the variant the discriminator names, or one at the discriminator itself. */
function discriminated(error: ValueError, variants: readonly TSchema[], discriminator: string): ValueError | undefined {
  const tag = (error.value as Record<string, unknown>)[discriminator];
  const index = variants.findIndex((v) => (v as { properties?: Record<string, { const?: unknown }> }).properties?.[discriminator]?.const === tag);
  if (index >= 0) return firstError(error.errors[index]?.First()) ?? error;
  const message = (error.schema as MessageOptions).discriminatorMessage;
  return { ...error, path: `${error.path}/${discriminator}`, value: tag, schema: Type.Unsafe(message === undefined ? {} : { errorMessage: message }), errors: [] };
}

function schemaTypes(schema: TSchema): string[] {
  const s = schema as { type?: string | string[]; const?: unknown; anyOf?: TSchema[] };
  if (s.anyOf !== undefined) return s.anyOf.flatMap(schemaTypes);
  if (s.const !== undefined) return [jsonType(s.const)];
  if (s.type === 'integer') return ['number'];
  return s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** `/jobs/3/program` → ['jobs', '3', 'program'] (RFC 6901 unescaping). */
function pointerKeys(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Array positions become `[i]`, object keys `.key` (or `["odd key"]`), walking the value to tell them apart. */
function pathOf(base: string, keys: readonly string[], value: unknown): string {
  let path = base;
  let at: unknown = value;
  for (const key of keys) {
    if (Array.isArray(at)) {
      path = indexPath(path, Number(key));
      at = at[Number(key)];
    } else {
      path = fieldPath(path, key);
      at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

function json(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function shown(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `of type ${jsonType(v)}`;
}
