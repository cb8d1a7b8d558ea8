/*
 * counteq, xor and add with AVX2 (32 bytes per instruction), and plain loops
 * where the CPU lacks it. counteq subtracts compare masks into byte counters
 * and widens them with SAD every 255 rounds; add wraps bytes with one
 * vector add and sums them with SAD against zero; xor folds two accumulators.
 *
 * Shared by the Node addon (native/addon.c) and the bench's C limit
 * (bench/kernels-limit.c). Call the *_avx2 functions only where
 * kernels_avx2_supported() says so.
 */
#ifndef PACKETFS_KERNELS_AVX2_H
#define PACKETFS_KERNELS_AVX2_H
#include <stddef.h>
#include <stdint.h>

static uint64_t counteq_scalar(const uint8_t *p, size_t n, uint8_t imm) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) total += p[i] == imm;
  return total;
}
static uint8_t xor_scalar(const uint8_t *p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++) acc ^= p[i];
  return acc;
}
static uint64_t add_scalar(const uint8_t *p, size_t n, uint8_t imm) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) total += (uint8_t)(p[i] + imm);
  return total;
}

#if defined(__x86_64__)
#include <immintrin.h>
static int kernels_avx2_supported(void) { return __builtin_cpu_supports("avx2"); }

__attribute__((target("avx2")))
static uint64_t counteq_avx2(const uint8_t *p, size_t n, uint8_t imm) {
  size_t i = 0;
  __m256i pat = _mm256_set1_epi8((char)imm), zero = _mm256_setzero_si256(), sums = zero;
  while (i + 32 <= n) {
    __m256i acc = zero;
    size_t end = i + 255 * 32 < n ? i + 255 * 32 : n - ((n - i) % 32);
    for (; i < end; i += 32) acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), pat));
    sums = _mm256_add_epi64(sums, _mm256_sad_epu8(acc, zero));
  }
  uint64_t lanes[4];
  _mm256_storeu_si256((__m256i *)lanes, sums);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + counteq_scalar(p + i, n - i, imm);
}

__attribute__((target("avx2")))
static uint8_t xor_avx2(const uint8_t *p, size_t n) {
  size_t i = 0;
  __m256i a = _mm256_setzero_si256(), b = a;
  for (; i + 64 <= n; i += 64) {
    a = _mm256_xor_si256(a, _mm256_loadu_si256((const __m256i *)(p + i)));
    b = _mm256_xor_si256(b, _mm256_loadu_si256((const __m256i *)(p + i + 32)));
  }
  uint8_t bytes[32];
  _mm256_storeu_si256((__m256i *)bytes, _mm256_xor_si256(a, b));
  return xor_scalar(bytes, 32) ^ xor_scalar(p + i, n - i);
}

__attribute__((target("avx2")))
static uint64_t add_avx2(const uint8_t *p, size_t n, uint8_t imm) {
  size_t i = 0;
  __m256i pat = _mm256_set1_epi8((char)imm), zero = _mm256_setzero_si256(), s0 = zero, s1 = zero;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm256_add_epi64(s0, _mm256_sad_epu8(_mm256_add_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), pat), zero));
    s1 = _mm256_add_epi64(s1, _mm256_sad_epu8(_mm256_add_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 32)), pat), zero));
  }
  uint64_t lanes[4];
  _mm256_storeu_si256((__m256i *)lanes, _mm256_add_epi64(s0, s1));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + add_scalar(p + i, n - i, imm);
}
#else
static int kernels_avx2_supported(void) { return 0; }
#define counteq_avx2 counteq_scalar
#define xor_avx2 xor_scalar
#define add_avx2 add_scalar
#endif
#endif
