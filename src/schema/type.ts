import type { TLiteral, TUnion } from '@sinclair/typebox';
import {
  Array as TypeArray, Boolean as TypeBoolean, Integer, Literal, Null, Number as TypeNumber, Object as TypeObject,
  Optional, Record as TypeRecord, String as TypeString, Union, Unknown, Unsafe,
} from '@sinclair/typebox';

/**
 * The TypeBox builders the schemas use, as one object. TypeBox's own `Type`
 * namespace holds every builder (about 45 KB minified); this one holds only
 * these, so the browser and edge bundles that validate programs stay small.
 */
export const Type = {
  Array: TypeArray, Boolean: TypeBoolean, Integer, Literal, Null, Number: TypeNumber, Object: TypeObject,
  Optional, Record: TypeRecord, String: TypeString, Union, Unknown, Unsafe,
};

/** `Type.Union` of string constants (TypeBox's way to state a string enum that its checks understand). */
export function literalUnion<T extends string>(values: readonly T[], options: object = {}): TUnion<TLiteral<T>[]> {
  return Union(values.map((v) => Literal(v)), options);
}
