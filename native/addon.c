/*
 * Node-API addon with the native kernels for Node threads:
 *   crc32c(bytes: Uint8Array, prev: number) -> number    three-stream SSE4.2 (crc32c-hw.h)
 *   counteq(bytes: Uint8Array, imm: number) -> number    AVX2 (kernels-avx2.h)
 *   xorBytes(bytes: Uint8Array) -> number                AVX2, imm not applied
 *   addSum(bytes: Uint8Array, imm: number) -> number     AVX2
 *   sse42, avx2: booleans, what this CPU runs (plain loops otherwise)
 * They read the Uint8Array's memory where it is: no copy. Built by
 * scripts/build-native.mjs with the system C compiler and Node's own headers
 * (no node-gyp, nothing downloaded); where that is impossible the addon does
 * not exist and src/runtimes/node/native-kernels.ts falls back.
 */
#include <node_api.h>
#include "crc32c-hw.h"
#include "kernels-avx2.h"

static int sse42;
static int avx2;

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/** The Uint8Array argument and an optional uint32 one; 0 on a bad call (an exception is pending). */
static int args(napi_env env, napi_callback_info info, const uint8_t **bytes, size_t *length, uint32_t *extra) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return fail(env, "expected (bytes, number)"), 0;
  napi_typedarray_type type;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    return fail(env, "bytes must be a Uint8Array"), 0;
  }
  *bytes = (const uint8_t *)data;
  *extra = 0;
  if (argc > 1 && napi_get_value_uint32(env, argv[1], extra) != napi_ok) return fail(env, "the second argument must be a number"), 0;
  return 1;
}

static napi_value number(napi_env env, double value) {
  napi_value out;
  napi_create_double(env, value, &out);
  return out;
}

static napi_value crc32c_js(napi_env env, napi_callback_info info) {
  const uint8_t *p; size_t n; uint32_t prev;
  if (!args(env, info, &p, &n, &prev)) return NULL;
  return number(env, sse42 ? crc32c_hw(prev, p, n) : ~crc32c_raw_sw(~prev, p, n));
}

static napi_value counteq_js(napi_env env, napi_callback_info info) {
  const uint8_t *p; size_t n; uint32_t imm;
  if (!args(env, info, &p, &n, &imm)) return NULL;
  return number(env, (double)(avx2 ? counteq_avx2(p, n, (uint8_t)imm) : counteq_scalar(p, n, (uint8_t)imm)));
}

static napi_value xor_js(napi_env env, napi_callback_info info) {
  const uint8_t *p; size_t n; uint32_t unused;
  if (!args(env, info, &p, &n, &unused)) return NULL;
  return number(env, avx2 ? xor_avx2(p, n) : xor_scalar(p, n));
}

static napi_value add_js(napi_env env, napi_callback_info info) {
  const uint8_t *p; size_t n; uint32_t imm;
  if (!args(env, info, &p, &n, &imm)) return NULL;
  return number(env, (double)(avx2 ? add_avx2(p, n, (uint8_t)imm) : add_scalar(p, n, (uint8_t)imm)));
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

static void export_bool(napi_env env, napi_value exports, const char *name, int value) {
  napi_value v;
  napi_get_boolean(env, value, &v);
  napi_set_named_property(env, exports, name, v);
}

NAPI_MODULE_INIT() {
  crc32c_hw_init();
  sse42 = crc32c_hw_supported();
  avx2 = kernels_avx2_supported();
  export_fn(env, exports, "crc32c", crc32c_js);
  export_fn(env, exports, "counteq", counteq_js);
  export_fn(env, exports, "xorBytes", xor_js);
  export_fn(env, exports, "addSum", add_js);
  export_bool(env, exports, "sse42", sse42);
  export_bool(env, exports, "avx2", avx2);
  return exports;
}
