;; PacketFS op kernels in WebAssembly (128-bit SIMD where the op allows it).
;; Assembled by scripts/build-wasm.mjs (npm `wabt`) during `npm run build`;
;; src/ops/wasm/wasm-kernels.ts is the JavaScript side. Why hand-written WAT:
;; docs/kernels.md.
;;
;; Memory (fixed, never grown, so JavaScript views of it stay valid):
;;   [0, 16384)              CRC-32C slicing-by-16 tables, filled by $init
;;   [64 KiB, +1 MiB)        scratch: wasm-kernels.ts copies windows that live
;;                           elsewhere through it, a chunk at a time
;;   [64 KiB + 1 MiB, +1 MiB) arena: callers read data (a blob file) straight
;;                           into it and run the kernels in place
;; Every kernel takes (ptr, len) into this memory; len stays within one region,
;; which keeps every count and lane sum far from overflowing.
(module
  (memory (export "memory") 33 33)
  (global (export "scratch_ptr") i32 (i32.const 65536))
  (global (export "scratch_len") i32 (i32.const 1048576))
  (global (export "arena_ptr") i32 (i32.const 1114112))
  (global (export "arena_len") i32 (i32.const 1048576))

  ;; Table t (0..15) at t*1024: the CRC register contribution of byte b
  ;; followed by t zero bytes (reflected Castagnoli polynomial).
  (func $init
    (local $b i32) (local $c i32) (local $k i32) (local $t i32)
    (loop $bytes
      (local.set $c (local.get $b))
      (local.set $k (i32.const 8))
      (loop $bits
        (local.set $c
          (select
            (i32.xor (i32.shr_u (local.get $c) (i32.const 1)) (i32.const 0x82f63b78))
            (i32.shr_u (local.get $c) (i32.const 1))
            (i32.and (local.get $c) (i32.const 1))))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $bits (local.get $k)))
      (i32.store (i32.shl (local.get $b) (i32.const 2)) (local.get $c))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $bytes (i32.lt_u (local.get $b) (i32.const 256))))
    (local.set $b (i32.const 0))
    (loop $bytes2
      (local.set $c (i32.load (i32.shl (local.get $b) (i32.const 2))))
      (local.set $t (i32.const 1))
      (loop $tables
        (local.set $c
          (i32.xor
            (i32.load (i32.shl (i32.and (local.get $c) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (i32.store
          (i32.add (i32.shl (local.get $t) (i32.const 10)) (i32.shl (local.get $b) (i32.const 2)))
          (local.get $c))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $tables (i32.lt_u (local.get $t) (i32.const 16))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $bytes2 (i32.lt_u (local.get $b) (i32.const 256)))))
  (start $init)

  ;; Number of bytes equal to imm. Four i8x16 lane counters take 0 - (-1) per
  ;; match; after at most 255 rounds they are widened into i32 lanes.
  (func (export "counteq") (param $p i32) (param $n i32) (param $imm i32) (result i32)
    (local $limit i32) (local $end i32) (local $stop i32) (local $count i32)
    (local $pat v128) (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $tot v128)
    (local.set $limit (i32.add (local.get $p) (local.get $n)))
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -64))))
    (local.set $pat (i8x16.splat (local.get $imm)))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $stop (i32.add (local.get $p) (i32.const 16320))) ;; 255 rounds of 64 bytes
        (if (i32.gt_u (local.get $stop) (local.get $end)) (then (local.set $stop (local.get $end))))
        (local.set $a (v128.const i64x2 0 0))
        (local.set $b (v128.const i64x2 0 0))
        (local.set $c (v128.const i64x2 0 0))
        (local.set $d (v128.const i64x2 0 0))
        (loop $inner
          (local.set $a (i8x16.sub (local.get $a) (i8x16.eq (v128.load (local.get $p)) (local.get $pat))))
          (local.set $b (i8x16.sub (local.get $b) (i8x16.eq (v128.load offset=16 (local.get $p)) (local.get $pat))))
          (local.set $c (i8x16.sub (local.get $c) (i8x16.eq (v128.load offset=32 (local.get $p)) (local.get $pat))))
          (local.set $d (i8x16.sub (local.get $d) (i8x16.eq (v128.load offset=48 (local.get $p)) (local.get $pat))))
          (local.set $p (i32.add (local.get $p) (i32.const 64)))
          (br_if $inner (i32.lt_u (local.get $p) (local.get $stop))))
        (local.set $tot
          (i32x4.add (local.get $tot)
            (i32x4.extadd_pairwise_i16x8_u
              (i16x8.add
                (i16x8.add (i16x8.extadd_pairwise_i8x16_u (local.get $a)) (i16x8.extadd_pairwise_i8x16_u (local.get $b)))
                (i16x8.add (i16x8.extadd_pairwise_i8x16_u (local.get $c)) (i16x8.extadd_pairwise_i8x16_u (local.get $d)))))))
        (br $outer)))
    (local.set $count
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $tot)) (i32x4.extract_lane 1 (local.get $tot)))
        (i32.add (i32x4.extract_lane 2 (local.get $tot)) (i32x4.extract_lane 3 (local.get $tot)))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $limit)))
        (local.set $count (i32.add (local.get $count) (i32.eq (i32.load8_u (local.get $p)) (local.get $imm))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (local.get $count))

  ;; XOR of all bytes (the caller applies imm by length parity).
  (func (export "xor") (param $p i32) (param $n i32) (result i32)
    (local $limit i32) (local $end i32) (local $x i64)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $limit (i32.add (local.get $p) (local.get $n)))
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -64))))
    (block $done
      (loop $main
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (v128.xor (local.get $a) (v128.load (local.get $p))))
        (local.set $b (v128.xor (local.get $b) (v128.load offset=16 (local.get $p))))
        (local.set $c (v128.xor (local.get $c) (v128.load offset=32 (local.get $p))))
        (local.set $d (v128.xor (local.get $d) (v128.load offset=48 (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $main)))
    (local.set $a (v128.xor (v128.xor (local.get $a) (local.get $b)) (v128.xor (local.get $c) (local.get $d))))
    (local.set $x (i64.xor (i64x2.extract_lane 0 (local.get $a)) (i64x2.extract_lane 1 (local.get $a))))
    (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 32))))
    (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 16))))
    (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 8))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $limit)))
        (local.set $x (i64.xor (local.get $x) (i64.load8_u (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (i32.and (i32.wrap_i64 (local.get $x)) (i32.const 255)))

  ;; Sum of (byte + imm) mod 256, as an exact f64. i8x16.add wraps per byte;
  ;; pairs widen into u16 lanes (two vectors per lane per round, at most 1020),
  ;; flushed after 64 rounds (≤ 65280) into u32 and then u64 lanes.
  (func (export "add") (param $p i32) (param $n i32) (param $imm i32) (result f64)
    (local $limit i32) (local $end i32) (local $stop i32) (local $sum i64)
    (local $pat v128) (local $s v128) (local $t v128) (local $w v128) (local $tot v128)
    (local.set $limit (i32.add (local.get $p) (local.get $n)))
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -64))))
    (local.set $pat (i8x16.splat (local.get $imm)))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $stop (i32.add (local.get $p) (i32.const 4096))) ;; 64 rounds of 64 bytes
        (if (i32.gt_u (local.get $stop) (local.get $end)) (then (local.set $stop (local.get $end))))
        (local.set $s (v128.const i64x2 0 0))
        (local.set $t (v128.const i64x2 0 0))
        (loop $inner
          (local.set $s (i16x8.add (local.get $s) (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u (i8x16.add (v128.load (local.get $p)) (local.get $pat)))
            (i16x8.extadd_pairwise_i8x16_u (i8x16.add (v128.load offset=16 (local.get $p)) (local.get $pat))))))
          (local.set $t (i16x8.add (local.get $t) (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u (i8x16.add (v128.load offset=32 (local.get $p)) (local.get $pat)))
            (i16x8.extadd_pairwise_i8x16_u (i8x16.add (v128.load offset=48 (local.get $p)) (local.get $pat))))))
          (local.set $p (i32.add (local.get $p) (i32.const 64)))
          (br_if $inner (i32.lt_u (local.get $p) (local.get $stop))))
        (local.set $w (i32x4.add (i32x4.extadd_pairwise_i16x8_u (local.get $s)) (i32x4.extadd_pairwise_i16x8_u (local.get $t))))
        (local.set $tot (i64x2.add (local.get $tot)
          (i64x2.add (i64x2.extend_low_i32x4_u (local.get $w)) (i64x2.extend_high_i32x4_u (local.get $w)))))
        (br $outer)))
    (local.set $sum (i64.add (i64x2.extract_lane 0 (local.get $tot)) (i64x2.extract_lane 1 (local.get $tot))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $limit)))
        (local.set $sum (i64.add (local.get $sum)
          (i64.extend_i32_u (i32.and (i32.add (i32.load8_u (local.get $p)) (local.get $imm)) (i32.const 255)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (f64.convert_i64_u (local.get $sum)))

  ;; CRC-32C, slicing-by-16; $crc is the CRC of the preceding data (0: none).
  ;; WebAssembly has no CRC or carry-less multiply instruction, so tables it is.
  (func (export "crc32c") (param $p i32) (param $n i32) (param $crc i32) (result i32)
    (local $limit i32) (local $end i32) (local $c i32) (local $a i32) (local $b i32) (local $d i32) (local $e i32)
    (local.set $c (i32.xor (local.get $crc) (i32.const -1)))
    (local.set $limit (i32.add (local.get $p) (local.get $n)))
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -16))))
    (block $done
      (loop $main
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (i32.xor (i32.load (local.get $p)) (local.get $c)))
        (local.set $b (i32.load offset=4 (local.get $p)))
        (local.set $d (i32.load offset=8 (local.get $p)))
        (local.set $e (i32.load offset=12 (local.get $p)))
        (local.set $c
          (i32.xor
            (i32.xor
              (i32.xor
                (i32.xor (i32.load offset=15360 (i32.shl (i32.and (local.get $a) (i32.const 255)) (i32.const 2)))
                         (i32.load offset=14336 (i32.and (i32.shr_u (local.get $a) (i32.const 6)) (i32.const 1020))))
                (i32.xor (i32.load offset=13312 (i32.and (i32.shr_u (local.get $a) (i32.const 14)) (i32.const 1020)))
                         (i32.load offset=12288 (i32.shl (i32.shr_u (local.get $a) (i32.const 24)) (i32.const 2)))))
              (i32.xor
                (i32.xor (i32.load offset=11264 (i32.shl (i32.and (local.get $b) (i32.const 255)) (i32.const 2)))
                         (i32.load offset=10240 (i32.and (i32.shr_u (local.get $b) (i32.const 6)) (i32.const 1020))))
                (i32.xor (i32.load offset=9216 (i32.and (i32.shr_u (local.get $b) (i32.const 14)) (i32.const 1020)))
                         (i32.load offset=8192 (i32.shl (i32.shr_u (local.get $b) (i32.const 24)) (i32.const 2))))))
            (i32.xor
              (i32.xor
                (i32.xor (i32.load offset=7168 (i32.shl (i32.and (local.get $d) (i32.const 255)) (i32.const 2)))
                         (i32.load offset=6144 (i32.and (i32.shr_u (local.get $d) (i32.const 6)) (i32.const 1020))))
                (i32.xor (i32.load offset=5120 (i32.and (i32.shr_u (local.get $d) (i32.const 14)) (i32.const 1020)))
                         (i32.load offset=4096 (i32.shl (i32.shr_u (local.get $d) (i32.const 24)) (i32.const 2)))))
              (i32.xor
                (i32.xor (i32.load offset=3072 (i32.shl (i32.and (local.get $e) (i32.const 255)) (i32.const 2)))
                         (i32.load offset=2048 (i32.and (i32.shr_u (local.get $e) (i32.const 6)) (i32.const 1020))))
                (i32.xor (i32.load offset=1024 (i32.and (i32.shr_u (local.get $e) (i32.const 14)) (i32.const 1020)))
                         (i32.load (i32.shl (i32.shr_u (local.get $e) (i32.const 24)) (i32.const 2))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $main)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $limit)))
        (local.set $c
          (i32.xor
            (i32.load (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (i32.xor (local.get $c) (i32.const -1)))

  ;; FNV-1a 64 from state $h. The xor→multiply chain per byte is the bound;
  ;; a native i64.mul makes each step one multiply, and one 8-byte load feeds
  ;; eight steps.
  (func (export "fnv64") (param $p i32) (param $n i32) (param $h i64) (result i64)
    (local $limit i32) (local $end i32) (local $x i64)
    (local.set $limit (i32.add (local.get $p) (local.get $n)))
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -8))))
    (block $done
      (loop $main
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (i64.load (local.get $p)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.and (local.get $x) (i64.const 255))) (i64.const 0x100000001b3)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.and (i64.shr_u (local.get $x) (i64.const 8)) (i64.const 255))) (i64.const 0x100000001b3)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.and (i64.shr_u (local.get $x) (i64.const 16)) (i64.const 255))) (i64.const 0x100000001b3)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.and (i64.shr_u (local.get $x) (i64.const 24)) (i64.const 255))) (i64.const 0x100000001b3)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.and (i64.shr_u (local.get $x) (i64.const 32)) (i64.const 255))) (i64.const 0x100000001b3)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.and (i64.shr_u (local.get $x) (i64.const 40)) (i64.const 255))) (i64.const 0x100000001b3)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.and (i64.shr_u (local.get $x) (i64.const 48)) (i64.const 255))) (i64.const 0x100000001b3)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.shr_u (local.get $x) (i64.const 56))) (i64.const 0x100000001b3)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $main)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $limit)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load8_u (local.get $p))) (i64.const 0x100000001b3)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (local.get $h))
)
