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
 *
 * The walk over the schema is planned once per schema (closures, no code
 * generation, so it runs under a CSP that forbids eval): the dispatcher
 * projects every result frame of every node, thousands of results a frame.
 */
export function project(schema: TSchema, value: unknown): unknown {
  return projector(schema)(value);
}

type Projector = (value: unknown) => unknown;

interface SchemaNode {
  anyOf?: TSchema[];
  properties?: Record<string, TSchema>;
  items?: TSchema;
  type?: string;
  const?: unknown;
  default?: unknown;
  discriminator?: string;
}

const plans = new WeakMap<TSchema, Projector>();
const keep: Projector = (value) => value;

function projector(schema: TSchema): Projector {
  let plan = plans.get(schema);
  if (plan === undefined) {
    plan = plan_(schema as SchemaNode);
    plans.set(schema, plan);
  }
  return plan;
}

function plan_(s: SchemaNode): Projector {
  if (s.anyOf !== undefined) return unionPlan(s, s.anyOf);
  if (s.properties !== undefined) {
    const fields = Object.entries(s.properties).map(([key, field]) => ({ key, inner: projector(field), fallback: (field as SchemaNode).default }));
    return (value) => {
      if (!isObject(value)) return value;
      const out: Record<string, unknown> = {};
      for (const { key, inner, fallback } of fields) {
        const v = value[key];
        if (v !== undefined) out[key] = inner(v);
        else if (fallback !== undefined) out[key] = fallback;
      }
      return out;
    };
  }
  if (s.items !== undefined) {
    const inner = projector(s.items);
    return (value) => (Array.isArray(value) ? value.map((item) => inner(item)) : value);
  }
  return keep;
}

function unionPlan(union: SchemaNode, variants: readonly TSchema[]): Projector {
  const key = union.discriminator;
  if (key !== undefined) {
    const byTag = new Map<unknown, Projector>();
    for (const v of variants) {
      const tag = ((v as SchemaNode).properties?.[key] as SchemaNode | undefined)?.const;
      if (tag !== undefined) byTag.set(tag, projector(v));
    }
    return (value) => {
      const variant = isObject(value) ? byTag.get(value[key]) : undefined;
      return variant === undefined ? value : variant(value);
    };
  }
  return (value) => {
    const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
    const variant = variants.find((v) => {
      const type = (v as SchemaNode).type;
      return type === kind || (type === 'integer' && kind === 'number');
    });
    return variant === undefined ? value : projector(variant)(value);
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
