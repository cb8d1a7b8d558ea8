import type { TSchema } from '@sinclair/typebox';

/**
 * A checked value reduced to what its schema names: keys an object schema
 * does not list are dropped, and absent optional fields that have a
 * `default` get it. Records (objects of any keys) and leaves are kept as
 * they are. For schemas whose wire format lets unknown fields through (the
 * node protocol: additive changes need no version bump) so that nothing
 * downstream sees a field no schema describes.
 *
 * Call it only on a value the schema accepted: a union picks its variant by
 * its `discriminator` constant, else by the value's JSON type.
 */
export function project(schema: TSchema, value: unknown): unknown {
  const s = schema as SchemaNode;
  if (s.anyOf !== undefined) {
    const variant = pickVariant(s, value);
    return variant === undefined ? value : project(variant, value);
  }
  if (s.properties !== undefined && isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(s.properties)) {
      const field = s.properties[key]!;
      const v = value[key];
      if (v !== undefined) out[key] = project(field, v);
      else if ((field as SchemaNode).default !== undefined) out[key] = (field as SchemaNode).default;
    }
    return out;
  }
  if (s.items !== undefined && Array.isArray(value)) {
    const items = s.items;
    return value.map((item) => project(items, item));
  }
  return value;
}

interface SchemaNode {
  anyOf?: TSchema[];
  properties?: Record<string, TSchema>;
  items?: TSchema;
  type?: string;
  const?: unknown;
  default?: unknown;
  discriminator?: string;
}

function pickVariant(union: SchemaNode, value: unknown): TSchema | undefined {
  const variants = union.anyOf ?? [];
  const key = union.discriminator;
  if (key !== undefined && isObject(value)) {
    return variants.find((v) => ((v as SchemaNode).properties?.[key] as SchemaNode | undefined)?.const === value[key]);
  }
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return variants.find((v) => {
    const type = (v as SchemaNode).type;
    return type === kind || (type === 'integer' && kind === 'number');
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
