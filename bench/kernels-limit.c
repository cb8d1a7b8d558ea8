/*
 * The hardware limit the kernels bench compares against (bench/kernels-bench.ts).
 * Built by the bench with the system compiler: cc -O3 -march=native.
 *
 *   kernels-limit mem <MiB>        each op over <MiB> of random bytes in memory,
 *                                  best of 5, plus memcpy of the same size
 *   kernels-limit file <path>      each op over a file read once with read(2)
 *                                  into a reused 256 KiB buffer (the C version
 *                                  of a zero-copy blob job), best of 3
 *
 * Prints one JSON object per line: {"op":..,"gbPerSec":..,"result":..}.
 * CRC-32C uses three interleaved SSE4.2 streams joined with shift tables
 * (native/crc32c-hw.h), counteq/xor/add use AVX2 (native/kernels-avx2.h): the
 * same code as the Node addon; plain loops where the CPU lacks either.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- CRC-32C: the three-stream SSE4.2 code the Node addon runs ---- */
#include "../native/crc32c-hw.h"
static uint32_t crc32c(uint32_t prev, const uint8_t *p, size_t n) {
  return crc32c_hw_supported() ? crc32c_hw(prev, p, n) : ~crc32c_raw_sw(~prev, p, n);
}

/* ---- counteq / xor / add: the AVX2 code the Node addon runs ---- */
#include "../native/kernels-avx2.h"
static int avx2;
static uint64_t counteq(const uint8_t *p, size_t n, uint8_t imm) { return avx2 ? counteq_avx2(p, n, imm) : counteq_scalar(p, n, imm); }
static uint8_t xorfold(const uint8_t *p, size_t n, uint8_t imm) { return (avx2 ? xor_avx2(p, n) : xor_scalar(p, n)) ^ (n % 2 ? imm : 0); }
static uint64_t addsum(const uint8_t *p, size_t n, uint8_t imm) { return avx2 ? add_avx2(p, n, imm) : add_scalar(p, n, imm); }

static uint64_t fnv64(uint64_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

/* ---- drivers ---- */
enum { OP_COUNTEQ, OP_CRC32C, OP_FNV64, OP_XOR, OP_ADD, OP_COUNT };
static const char *NAMES[OP_COUNT] = { "counteq", "crc32c", "fnv64", "xor", "add" };
#define IMM 42

/* Op state carried across chunks, so a file is processed as one window. */
typedef struct { uint64_t acc; } state_t;
static void state_init(int op, state_t *s) { s->acc = op == OP_FNV64 ? 0xcbf29ce484222325ull : 0; }
static void run_chunk(int op, state_t *s, const uint8_t *p, size_t n) {
  switch (op) {
    case OP_COUNTEQ: s->acc += counteq(p, n, IMM); break;
    case OP_CRC32C: s->acc = crc32c((uint32_t)s->acc, p, n); break;
    case OP_FNV64: s->acc = fnv64(s->acc, p, n); break;
    /* imm is applied once at the end from the total length parity */
    case OP_XOR: s->acc ^= xorfold(p, n, 0); break;
    case OP_ADD: s->acc += addsum(p, n, IMM); break;
  }
}
static uint64_t state_result(int op, const state_t *s, size_t total) {
  return op == OP_XOR ? (s->acc ^ (total % 2 ? IMM : 0)) & 0xff : s->acc;
}

static void report(const char *op, double seconds, size_t bytes, uint64_t result) {
  printf("{\"op\":\"%s\",\"gbPerSec\":%.3f,\"result\":\"%llu\"}\n", op, bytes / seconds / 1e9, (unsigned long long)result);
  fflush(stdout);
}

static int run_mem(size_t mib) {
  size_t n = mib << 20;
  uint8_t *buf = aligned_alloc(64, n), *dst = aligned_alloc(64, n);
  if (!buf || !dst) { fprintf(stderr, "out of memory\n"); return 1; }
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; buf[i] = (uint8_t)x; }
  memset(dst, 1, n);
  for (int op = 0; op < OP_COUNT; op++) {
    double best = 1e9; uint64_t result = 0;
    for (int rep = 0; rep < 6; rep++) {
      state_t s; state_init(op, &s);
      double t = now();
      run_chunk(op, &s, buf, n);
      t = now() - t;
      result = state_result(op, &s, n);
      if (rep > 0 && t < best) best = t;
    }
    report(NAMES[op], best, n, result);
  }
  double best = 1e9;
  for (int rep = 0; rep < 6; rep++) {
    double t = now();
    memcpy(dst, buf, n);
    t = now() - t;
    if (rep > 0 && t < best) best = t;
  }
  report("memcpy", best, n, dst[n / 2]);
  return 0;
}

static int run_file(const char *path) {
  enum { CHUNK = 256 * 1024 };
  uint8_t *chunk = aligned_alloc(64, CHUNK);
  for (int op = 0; op < OP_COUNT; op++) {
    double best = 1e9; uint64_t result = 0; size_t total = 0;
    for (int rep = 0; rep < 4; rep++) {
      int fd = open(path, O_RDONLY);
      if (fd < 0) { perror(path); return 1; }
      state_t s; state_init(op, &s);
      total = 0;
      double t = now();
      for (;;) {
        ssize_t got = read(fd, chunk, CHUNK);
        if (got < 0) { perror("read"); return 1; }
        if (got == 0) break;
        run_chunk(op, &s, chunk, (size_t)got);
        total += (size_t)got;
      }
      t = now() - t;
      close(fd);
      result = state_result(op, &s, total);
      if (rep > 0 && t < best) best = t;
    }
    report(NAMES[op], best, total, result);
  }
  return 0;
}

int main(int argc, char **argv) {
  crc32c_hw_init();
  avx2 = kernels_avx2_supported();
  if (argc == 3 && strcmp(argv[1], "mem") == 0) return run_mem((size_t)atol(argv[2]));
  if (argc == 3 && strcmp(argv[1], "file") == 0) return run_file(argv[2]);
  fprintf(stderr, "usage: kernels-limit mem <MiB> | file <path>\n");
  return 2;
}
