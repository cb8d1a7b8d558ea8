import type { Static, TObject, TProperties, TSchema } from '@sinclair/typebox';
import { literalUnion, Type } from './type.js';
import { PacketFSError } from '../errors.js';
import { toOpenApiSchema } from './to-openapi.js';
import { validator, type Validator } from './validator.js';

/**
 * Query parameters as schemas: one object schema per route, from which come
 * the parsed types, the check, and the route's `parameters` in /openapi.json.
 * Query strings carry text, so each value is first read as its schema's type
 * (digits → integer, a decimal → number, 1/0/true/false → boolean); anything
 * else is left as text and fails the check with the value shown. A repeated
 * key is refused rather than guessed; keys no schema names are ignored.
 */
export const MAX_WAIT_SECONDS = 60;
/** jobs per listing page, and metric records per report, when the client does not say */
export const DEFAULT_PAGE_LIMIT = 100;
const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

const limit = (max: number) => Type.Integer({ minimum: 1, maximum: max, default: DEFAULT_PAGE_LIMIT, errorMessage: `{key} must be an integer from 1 to ${max}, got {json}` });

export const ListJobsQuery = Type.Object({
  status: literalUnion(JOB_STATUSES, {
    $id: 'JobStatus', errorMessage: `status is required and must be one of ${JOB_STATUSES.join(', ')}`,
    requiredMessage: `status is required and must be one of ${JOB_STATUSES.join(', ')}`,
  }),
  limit: Type.Optional(limit(1000)),
  cursor: Type.Optional(Type.String({ maxLength: 256, description: 'next_cursor of the previous page', errorMessage: '{key} must be a cursor from next_cursor (at most 256 characters)' })),
  children: Type.Optional(Type.Boolean({
    default: false, errorMessage: '{key} must be 1, 0, true or false, got {json}',
    description: 'include the window jobs of split jobs (hidden by default; a page may then hold fewer than limit jobs); 1/0 are accepted too',
  })),
});

export const SubmitQuery = Type.Object({
  dry_run: Type.Optional(Type.Boolean({
    default: false, errorMessage: '{key} must be 1, 0, true or false, got {json}',
    description: 'enqueue nothing; answer the substrate and cost estimate per job (docs/costs.md); 1/0 are accepted too',
  })),
});

export const ResultQuery = Type.Object({
  wait: Type.Optional(Type.Number({
    minimum: 0, maximum: MAX_WAIT_SECONDS, default: 0, description: 'seconds to wait for the result',
    errorMessage: `{key} must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, got {json}`,
  })),
});

export const MetricsQuery = Type.Object({ limit: Type.Optional(limit(10_000)) });

/** A query schema's reader: `parse(request.query)` gives typed values (defaults not applied) or throws INVALID_REQUEST naming the parameter. */
export interface QueryReader<T> { parse(query: unknown): T }

export function queryReader<P extends TProperties>(schema: TObject<P>): QueryReader<Static<TObject<P>>> {
  const check: Validator<Static<TObject<P>>> = validator(schema, { code: 'INVALID_REQUEST' });
  const entries = Object.entries(schema.properties);
  return {
    parse(query) {
      const raw = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
      const typed: Record<string, unknown> = {};
      for (const [name, property] of entries) {
        const value = raw[name];
        if (value === undefined) continue;
        if (typeof value !== 'string') throw new PacketFSError('INVALID_REQUEST', `${name} must be given once`, { path: name });
        typed[name] = fromText(value, property);
      }
      if (!check.check(typed)) throw check.fail(typed);
      return typed;
    },
  };
}

function fromText(text: string, schema: TSchema): unknown {
  switch ((schema as { type?: unknown }).type) {
    case 'integer': return /^-?\d{1,16}$/.test(text) ? Number(text) : text;
    case 'number': return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    case 'boolean': return text === '1' || text === 'true' ? true : text === '0' || text === 'false' ? false : text;
    default: return text;
  }
}

/** A query schema as OpenAPI parameters (component schemas with an `$id` become references). */
export function queryParameters(schema: TObject): object[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, ...rest } = toOpenApiSchema(property);
    const withRef = typeof property.$id === 'string' ? { $ref: `#/components/schemas/${property.$id}` } : rest;
    return { name, in: 'query', required: required.has(name), ...(typeof description === 'string' ? { description } : {}), schema: withRef };
  });
}
