import type { TSchema } from '@sinclair/typebox';

/** Keywords this project adds to schemas for its own error messages (validator.ts); not part of the published document. */
const PRIVATE_KEYWORDS = new Set(['errorMessage', 'requiredMessage', 'discriminator', 'discriminatorMessage']);

/**
 * A TypeBox schema as plain JSON Schema 2020-12 for an OpenAPI 3.1 document:
 * TypeBox's symbol keys and the private keywords dropped, and every nested
 * schema that has an `$id` (Op, Program, Job…) replaced by a `$ref` to its
 * component, so the document names each one once.
 */
export function toOpenApiSchema(schema: TSchema): Record<string, unknown> {
  return convert(schema, true) as Record<string, unknown>;
}

/** The key pattern of TypeBox's Record(Type.String(), …). */
const ANY_KEY = '^(.*)$';

function convert(node: unknown, root: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => convert(item, false));
  if (typeof node !== 'object' || node === null) return node;
  const record = node as Record<string, unknown>;
  if (!root && typeof record.$id === 'string') return { $ref: `#/components/schemas/${record.$id}` };
  const out: Record<string, unknown> = {};
  // TypeBox states Record(String, X) as `patternProperties: {"^(.*)$": X}`: the plain JSON Schema is additionalProperties
  const anyKey = record.patternProperties as Record<string, unknown> | undefined;
  if (anyKey !== undefined && Object.keys(anyKey).length === 1 && anyKey[ANY_KEY] !== undefined && record.properties === undefined) {
    const { patternProperties: _any, ...rest } = record;
    return convert({ ...rest, additionalProperties: anyKey[ANY_KEY] }, root);
  }
  for (const [key, value] of Object.entries(record)) {
    if (PRIVATE_KEYWORDS.has(key) || (root && key === '$id')) continue;
    // `properties` maps names to schemas; everything else recurses as a schema or a value
    out[key] = key === 'properties' || key === '$defs' || key === 'patternProperties'
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, convert(v, false)]))
      : convert(value, false);
  }
  return out;
}
