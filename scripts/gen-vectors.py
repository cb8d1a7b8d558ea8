#!/usr/bin/env python3
"""Reference implementation of the five PacketFS ops; writes test/vectors/ops.json.

Independent of the TypeScript kernels in src/ops on purpose: every op is
written here straight from its definition in docs/contracts.md section 3, in
the plainest form (CRC-32C bit by bit, FNV-1a byte by byte, sums and counts
as loops), with nothing but the Python standard library. When the kernels and
this file agree on the vectors, two unrelated implementations agree.

The random inputs of the vectors (blob.bin, each case's bytes, the state of
the first part of each combine pair and the second part's bytes) were drawn
once and are kept in the repository as data: this script reads them from the
existing files and recomputes every expected value from them. What it writes
is therefore byte-identical to the committed ops.json exactly when every
expected value in it is right, which is what `--check` (run by the test
suite) verifies.

Usage:
  python3 scripts/gen-vectors.py            rewrite test/vectors/ops.json
  python3 scripts/gen-vectors.py --check    exit 1 if the file differs from what this computes
  python3 scripts/gen-vectors.py --dir D    use D instead of test/vectors
"""

import argparse
import base64
import json
import sys
from pathlib import Path

ABOUT = ("Test vectors for the five PacketFS ops; see docs/contracts.md (section 3) for the semantics. "
         "Expected values computed by scripts/gen-vectors.py, a reference implementation independent of src/ops.")
BLOB_GENERATOR = "file blob.bin beside this file"
OPS = ("counteq", "crc32c", "fnv64", "xor", "add")

CRC32C_POLY = 0x82F63B78  # Castagnoli, reflected
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1


def crc32c_bitwise(data: bytes, crc: int = 0) -> int:
    """CRC-32C one bit at a time: the definition, used for short inputs and to check the table."""
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ CRC32C_POLY if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def _byte_table() -> list:
    """Each entry is eight bitwise steps over one byte value, so the table is the definition precomputed."""
    table = []
    for value in range(256):
        crc = value
        for _ in range(8):
            crc = (crc >> 1) ^ CRC32C_POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _byte_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C a byte at a time over the table of bitwise steps (megabytes of blob make bit loops too slow)."""
    if len(data) <= 4096:
        return crc32c_bitwise(data, crc)
    crc ^= 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def fnv64(data: bytes, state: int = FNV_OFFSET) -> str:
    h = state
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & MASK64
    return "%016x" % h


def counteq(data: bytes, imm: int) -> int:
    n = 0
    for byte in data:
        if byte == imm:
            n += 1
    return n


def xor_fold(data: bytes, imm: int) -> int:
    acc = 0
    for byte in data:
        acc ^= byte ^ imm
    return acc


def add_sum(data: bytes, imm: int) -> int:
    total = 0
    for byte in data:
        total += (byte + imm) & 0xFF
    return total


def run_op(op: str, imm: int, data: bytes) -> dict:
    if op == "counteq":
        return {"count": counteq(data, imm)}
    if op == "crc32c":
        return {"crc32c": crc32c(data)}
    if op == "fnv64":
        return {"fnv64": fnv64(data)}
    if op == "xor":
        return {"xor": xor_fold(data, imm)}
    if op == "add":
        return {"sum": add_sum(data, imm)}
    raise ValueError("unknown op %r" % op)


def all_ops(data: bytes, imm: int) -> dict:
    return {op: run_op(op, imm, data) for op in OPS}


def self_check() -> None:
    """The known answers of the contract, and the table agreeing with the bit loop."""
    assert crc32c_bitwise(b"123456789") == 0xE3069283
    assert fnv64(b"") == "cbf29ce484222325" and fnv64(b"a") == "af63dc4c8601ec8c"
    sample = bytes(range(256)) * 20
    table_crc = 0xFFFFFFFF
    for byte in sample:
        table_crc = _TABLE[(table_crc ^ byte) & 0xFF] ^ (table_crc >> 8)
    assert table_crc ^ 0xFFFFFFFF == crc32c_bitwise(sample)


def build(inputs: dict, blob: bytes) -> dict:
    cases = []
    for case in inputs["cases"]:
        data = base64.b64decode(case["data_b64"], validate=True)
        cases.append({"op": case["op"], "imm": case["imm"], "data_b64": case["data_b64"],
                      "result": run_op(case["op"], case["imm"], data)})
    windows = []
    for window in inputs["windows"]:
        offset, length = window["offset"], window["length"]
        if offset + length > len(blob):
            raise ValueError("window %d+%d is past the end of blob.bin" % (offset, length))
        windows.append({"offset": offset, "length": length, "results": all_ops(blob[offset:offset + length], 42)})
    whole = all_ops(blob, 42)
    combine = []
    for pair in inputs["combine"]:
        b = base64.b64decode(pair["b_b64"], validate=True)
        crc_a, fnv_a = pair["crc_a"], pair["fnv_a"]
        combine.append({
            "crc_a": crc_a,
            "crc_b": crc32c(b),
            "len_b": len(b),
            # CRC-32C of A then B, by continuing from A's CRC over B's bytes
            "crc_ab": crc32c(b, crc_a),
            "fnv_a": fnv_a,
            "fnv_ab_from_state_a": fnv64(b, int(fnv_a, 16)),
            "b_b64": pair["b_b64"],
        })
    return {
        "about": ABOUT,
        "cases": cases,
        "blob": {"generator": BLOB_GENERATOR, "size": len(blob), "crc32c": whole["crc32c"]["crc32c"]},
        "windows": windows,
        "whole_blob_imm42": whole,
        "combine": combine,
    }


def render(vectors: dict) -> bytes:
    return json.dumps(vectors, indent=1).encode("ascii")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--dir", default=str(Path(__file__).resolve().parent.parent / "test" / "vectors"))
    args = parser.parse_args()
    directory = Path(args.dir)
    target = directory / "ops.json"
    self_check()
    current = target.read_bytes()
    blob = (directory / "blob.bin").read_bytes()
    fresh = render(build(json.loads(current), blob))
    if not args.check:
        target.write_bytes(fresh)
        print("wrote %s (%d bytes)" % (target, len(fresh)))
        return 0
    if fresh == current:
        print("ok: %s matches the reference implementation byte for byte" % target)
        return 0
    at = next((i for i, (x, y) in enumerate(zip(fresh, current)) if x != y), min(len(fresh), len(current)))
    print("MISMATCH: %s differs from the reference at byte %d:\n  file:      %r\n  reference: %r"
          % (target, at, current[max(0, at - 60):at + 60], fresh[max(0, at - 60):at + 60]), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
