/*
 * Node-API addon that writes and digests blob uploads off the main thread:
 *   create() -> handle                     a running SHA-256 + CRC-32C of one upload
 *   update(handle, parts: Uint8Array[]) -> Promise<void>
 *                                          adds the parts, in order, on a libuv pool thread
 *   finish(handle) -> { sha256: Buffer, crc32c: number }
 *   write(fd, position, parts: Uint8Array[]) -> Promise<void>
 *                                          pwrite(2)s the parts one after another from
 *                                          `position` on a pool thread, each whole
 *
 * Why it exists: the blob store names a blob by its SHA-256, so every PUT
 * hashes every byte, and writes every byte into the page cache. Both are
 * kept off the main thread, which only reads the socket; the store runs a
 * batch's write and its update at the same time on two pool threads.
 *
 * write() takes the position explicitly (pwrite), so a batch's write needs
 * no file offset shared with anything else that runs meanwhile (the
 * periodic fdatasync of `--fsync always`).
 *
 * Contract with the caller (src/data/upload-writer.ts): one update in flight
 * per handle at a time (a second is refused), and the parts' memory is kept
 * alive by a reference to the array until the job completes. Built by
 * scripts/build-native.mjs when the OpenSSL headers (libssl-dev) are present;
 * without it the blob store writes with fs and hashes with node:crypto on the
 * main thread.
 */
#define _GNU_SOURCE /* strerrorname_np */
#include <node_api.h>
#include <openssl/evp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "crc32c-hw.h"

typedef struct {
  EVP_MD_CTX *md;
  uint32_t crc;
  int busy;
  int finished;
} digest_t;

/* What both kinds of pool job share: the parts they read (pinned by a
 * reference until the job is done, so their bytes can't be collected under the
 * pool thread) and the promise the caller awaits. First member of each job. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref parts_ref;
  size_t count;
  const uint8_t **ptrs;
  size_t *lens;
} parts_job;

typedef struct {
  parts_job base;
  digest_t *digest;
  int ok;
} update_job;

typedef struct {
  parts_job base;
  int fd;
  int64_t position;
  int err;
} write_job;

static int sse42;

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n) {
  return sse42 ? crc32c_hw(crc, p, n) : ~crc32c_raw_sw(~crc, p, n);
}

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static void digest_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  digest_t *d = (digest_t *)data;
  EVP_MD_CTX_free(d->md);
  free(d);
}

static napi_value create_js(napi_env env, napi_callback_info info) {
  (void)info;
  digest_t *d = (digest_t *)calloc(1, sizeof(digest_t));
  if (d == NULL) return fail(env, "out of memory");
  d->md = EVP_MD_CTX_new();
  if (d->md == NULL || EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(d->md);
    free(d);
    return fail(env, "SHA-256 is not available from libcrypto");
  }
  napi_value handle;
  if (napi_create_external(env, d, digest_finalize, NULL, &handle) != napi_ok) {
    EVP_MD_CTX_free(d->md);
    free(d);
    return fail(env, "could not create the digest handle");
  }
  return handle;
}

static digest_t *handle_of(napi_env env, napi_value v) {
  napi_valuetype type;
  void *data = NULL;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_external) return NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return (digest_t *)data;
}

/* The pointers and lengths of an array of Uint8Array; NULL, or what is wrong. */
static const char *parts_of(napi_env env, napi_value array, const uint8_t ***ptrs_out, size_t **lens_out, size_t *count_out) {
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array || napi_get_array_length(env, array, &count) != napi_ok) {
    return "parts must be an array of Uint8Array";
  }
  const uint8_t **ptrs = (const uint8_t **)calloc(count == 0 ? 1 : count, sizeof(uint8_t *));
  size_t *lens = (size_t *)calloc(count == 0 ? 1 : count, sizeof(size_t));
  if (ptrs == NULL || lens == NULL) {
    free(ptrs); free(lens);
    return "out of memory";
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value part;
    napi_typedarray_type type;
    void *bytes;
    size_t length;
    if (napi_get_element(env, array, i, &part) != napi_ok ||
        napi_get_typedarray_info(env, part, &type, &length, &bytes, NULL, NULL) != napi_ok || type != napi_uint8_array) {
      free(ptrs); free(lens);
      return "parts must be an array of Uint8Array";
    }
    ptrs[i] = (const uint8_t *)bytes;
    lens[i] = length;
  }
  *ptrs_out = ptrs;
  *lens_out = lens;
  *count_out = count;
  return NULL;
}

/* Takes `parts` into `job` (calloc'd by the caller) and queues it on the
 * pool: the promise, or NULL with a TypeError thrown and the job freed. */
static napi_value queue_parts_job(napi_env env, parts_job *job, napi_value parts, const char *name,
                                  napi_async_execute_callback execute, napi_async_complete_callback complete) {
  const char *problem = parts_of(env, parts, &job->ptrs, &job->lens, &job->count);
  if (problem != NULL) {
    free(job);
    return fail(env, problem);
  }
  napi_value promise, resource;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_reference(env, parts, 1, &job->parts_ref);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource);
  napi_create_async_work(env, NULL, resource, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

/* Resolves the job's promise (error NULL) or rejects it with `error`, then frees the job. */
static void settle_parts_job(napi_env env, parts_job *job, napi_value error) {
  napi_delete_reference(env, job->parts_ref);
  if (error == NULL) {
    napi_value nothing;
    napi_get_undefined(env, &nothing);
    napi_resolve_deferred(env, job->deferred, nothing);
  } else {
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  free(job->ptrs);
  free(job->lens);
  free(job);
}

static void update_execute(napi_env env, void *data) {
  (void)env;
  update_job *job = (update_job *)data;
  job->ok = 1;
  const parts_job *parts = &job->base;
  for (size_t i = 0; i < parts->count; i++) {
    if (EVP_DigestUpdate(job->digest->md, parts->ptrs[i], parts->lens[i]) != 1) job->ok = 0;
    job->digest->crc = crc_update(job->digest->crc, parts->ptrs[i], parts->lens[i]);
  }
}

static void update_complete(napi_env env, napi_status status, void *data) {
  update_job *job = (update_job *)data;
  job->digest->busy = 0;
  napi_value error = NULL;
  if (status != napi_ok || !job->ok) {
    napi_value msg;
    napi_create_string_utf8(env, "SHA-256 update failed", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &error);
  }
  settle_parts_job(env, &job->base, error);
}

static napi_value update_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return fail(env, "expected (handle, parts)");
  digest_t *d = handle_of(env, argv[0]);
  if (d == NULL) return fail(env, "the first argument must be a digest handle");
  if (d->busy) return fail(env, "an update is already running on this digest");
  if (d->finished) return fail(env, "this digest is finished");
  update_job *job = (update_job *)calloc(1, sizeof(update_job));
  if (job == NULL) return fail(env, "out of memory");
  job->digest = d;
  napi_value promise = queue_parts_job(env, &job->base, argv[1], "packetfs:upload-digest", update_execute, update_complete);
  if (promise != NULL) d->busy = 1;
  return promise;
}

/* Each part whole, in order; a short write (rare) continues where it stopped. */
static void write_execute(napi_env env, void *data) {
  (void)env;
  write_job *job = (write_job *)data;
  off_t at = (off_t)job->position;
  const parts_job *parts = &job->base;
  for (size_t i = 0; i < parts->count; i++) {
    const uint8_t *p = parts->ptrs[i];
    size_t left = parts->lens[i];
    while (left > 0) {
      ssize_t n = pwrite(job->fd, p, left, at);
      if (n < 0) {
        if (errno == EINTR) continue;
        job->err = errno;
        return;
      }
      p += n;
      left -= (size_t)n;
      at += n;
    }
  }
}

static void write_complete(napi_env env, napi_status status, void *data) {
  write_job *job = (write_job *)data;
  napi_value error = NULL;
  if (status != napi_ok || job->err != 0) {
    /* an Error with `code` and `errno` as fs's errors have them (ENOSPC, -28) */
    int err = job->err != 0 ? job->err : EIO;
    const char *name = strerrorname_np(err);
    napi_value msg, code, number;
    napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &msg);
    napi_create_string_utf8(env, name != NULL ? name : "EIO", NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, msg, &error);
    napi_create_int32(env, -err, &number);
    napi_set_named_property(env, error, "errno", number);
  }
  settle_parts_job(env, &job->base, error);
}

static napi_value write_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return fail(env, "expected (fd, position, parts)");
  int32_t fd;
  int64_t position;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return fail(env, "fd must be a file descriptor");
  if (napi_get_value_int64(env, argv[1], &position) != napi_ok || position < 0) return fail(env, "position must be a byte offset");
  write_job *job = (write_job *)calloc(1, sizeof(write_job));
  if (job == NULL) return fail(env, "out of memory");
  job->fd = fd;
  job->position = position;
  return queue_parts_job(env, &job->base, argv[2], "packetfs:upload-write", write_execute, write_complete);
}

static napi_value finish_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return fail(env, "expected (handle)");
  digest_t *d = handle_of(env, argv[0]);
  if (d == NULL) return fail(env, "the first argument must be a digest handle");
  if (d->busy) return fail(env, "an update is still running on this digest");
  if (d->finished) return fail(env, "this digest is finished");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(d->md, md, &len) != 1) return fail(env, "SHA-256 final failed");
  d->finished = 1;
  napi_value out, sha, crc;
  void *copy;
  napi_create_buffer_copy(env, len, md, &copy, &sha);
  napi_create_uint32(env, d->crc, &crc);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "sha256", sha);
  napi_set_named_property(env, out, "crc32c", crc);
  return out;
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  crc32c_hw_init();
  sse42 = crc32c_hw_supported();
  export_fn(env, exports, "create", create_js);
  export_fn(env, exports, "update", update_js);
  export_fn(env, exports, "finish", finish_js);
  export_fn(env, exports, "write", write_js);
  return exports;
}
