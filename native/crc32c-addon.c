/*
 * Node-API addon: crc32c(bytes: Uint8Array, prev: number) -> number, on the
 * three-stream hardware CRC of crc32c-hw.h. Built by scripts/build-native.mjs
 * with the system C compiler (no node-gyp, nothing downloaded); where the
 * compiler, Node's headers or SSE4.2 are missing the addon is not built or
 * not used and src/runtimes/node/crc32c-native.ts falls back.
 */
#include <node_api.h>
#include "crc32c-hw.h"

static int hardware;

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static napi_value crc32c_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return throw_type(env, "crc32c(bytes, prev)");
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    return throw_type(env, "crc32c: bytes must be a Uint8Array");
  }
  uint32_t prev = 0;
  if (argc > 1 && napi_get_value_uint32(env, argv[1], &prev) != napi_ok) return throw_type(env, "crc32c: prev must be a number");
  napi_value out;
  const uint8_t *bytes = (const uint8_t *)data;
  napi_create_uint32(env, hardware ? crc32c_hw(prev, bytes, length) : ~crc32c_raw_sw(~prev, bytes, length), &out);
  return out;
}

NAPI_MODULE_INIT() {
  crc32c_hw_init();
  hardware = crc32c_hw_supported();
  napi_value fn;
  napi_value supported;
  napi_create_function(env, "crc32c", NAPI_AUTO_LENGTH, crc32c_js, NULL, &fn);
  napi_set_named_property(env, exports, "crc32c", fn);
  napi_get_boolean(env, hardware, &supported);
  napi_set_named_property(env, exports, "hardware", supported);
  return exports;
}
