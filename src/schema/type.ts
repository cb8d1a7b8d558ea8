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
