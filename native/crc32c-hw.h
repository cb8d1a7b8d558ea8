/*
 * CRC-32C with three interleaved hardware streams (x86-64 SSE4.2 `crc32`).
 * One `crc32` has a latency of three cycles but issues every cycle, so a single
 * stream leaves two thirds of the unit idle; three streams over three thirds
 * of a 24 KiB block keep it busy, and the three partial CRCs are joined by
 * shifting the first two over the bytes after them (a linear map over GF(2),
 * applied with four 256-entry tables per shift distance).
 *
 * Shared by the Node addon (native/addon.c) and the bench's C limit
 * (bench/kernels-limit.c). Call crc32c_hw_init() once, and crc32c_hw only
 * where crc32c_hw_supported() says the CPU has SSE4.2.
 */
#ifndef PACKETFS_CRC32C_HW_H
#define PACKETFS_CRC32C_HW_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CRC32C_STREAM 8192 /* bytes per stream in one three-stream block */

static uint32_t crc32c_table[256];
/* crc32c_shift[n][k][b]: byte k = b of a register, advanced over (n+1)·STREAM zero bytes */
static uint32_t crc32c_shift[2][4][256];

/* Raw register update (no pre/post inversion), table by table: the portable path. */
static uint32_t crc32c_raw_sw(uint32_t c, const uint8_t *p, size_t n) {
  for (; n > 0; n--, p++) c = crc32c_table[(c ^ *p) & 0xff] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2")))
static uint32_t crc32c_raw_hw(uint32_t c, const uint8_t *p, size_t n) {
  uint64_t c64 = c;
  for (; n >= 8; n -= 8, p += 8) { uint64_t w; memcpy(&w, p, 8); c64 = _mm_crc32_u64(c64, w); }
  c = (uint32_t)c64;
  for (; n > 0; n--, p++) c = _mm_crc32_u8(c, *p);
  return c;
}

static int crc32c_hw_supported(void) { return __builtin_cpu_supports("sse4.2"); }
#else
static int crc32c_hw_supported(void) { return 0; }
#define crc32c_raw_hw crc32c_raw_sw
#endif

static uint32_t crc32c_shifted(int n, uint32_t c) {
  return crc32c_shift[n][0][c & 0xff] ^ crc32c_shift[n][1][(c >> 8) & 0xff]
       ^ crc32c_shift[n][2][(c >> 16) & 0xff] ^ crc32c_shift[n][3][c >> 24];
}

static void crc32c_hw_init(void) {
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = b;
    for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    crc32c_table[b] = c;
  }
  static uint8_t zeros[2 * CRC32C_STREAM];
  for (int n = 0; n < 2; n++) {
    uint32_t col[32];
    for (int bit = 0; bit < 32; bit++) col[bit] = crc32c_raw_sw(1u << bit, zeros, (size_t)(n + 1) * CRC32C_STREAM);
    for (int k = 0; k < 4; k++) for (int b = 0; b < 256; b++) {
      uint32_t v = 0;
      for (int bit = 0; bit < 8; bit++) if (b & (1 << bit)) v ^= col[k * 8 + bit];
      crc32c_shift[n][k][b] = v;
    }
  }
}

/* CRC-32C of p[0..n) given the CRC of the data before it (0 for none). */
#if defined(__x86_64__)
__attribute__((target("sse4.2")))
#endif
static uint32_t crc32c_hw(uint32_t prev, const uint8_t *p, size_t n) {
  uint32_t c = ~prev;
#if defined(__x86_64__)
  while (n >= 3 * CRC32C_STREAM) {
    uint64_t a = c, b = 0, d = 0;
    for (size_t i = 0; i < CRC32C_STREAM; i += 8) {
      uint64_t x, y, z;
      memcpy(&x, p + i, 8); memcpy(&y, p + CRC32C_STREAM + i, 8); memcpy(&z, p + 2 * CRC32C_STREAM + i, 8);
      a = _mm_crc32_u64(a, x); b = _mm_crc32_u64(b, y); d = _mm_crc32_u64(d, z);
    }
    c = crc32c_shifted(1, (uint32_t)a) ^ crc32c_shifted(0, (uint32_t)b) ^ (uint32_t)d;
    p += 3 * CRC32C_STREAM; n -= 3 * CRC32C_STREAM;
  }
#endif
  return ~crc32c_raw_hw(c, p, n);
}
#endif
