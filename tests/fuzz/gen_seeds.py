#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR GPL-2.0-only
"""Write the starting seeds of tests/fuzz/corpus/ (deterministic).

One seed per native geometry selector and flag mix, and a few for the
Linux-compatible mode (first byte >= 0xe0) and the cache mode (first byte
in [0xd0, 0xe0)), each followed by pseudo-random operation bytes.  The committed corpus is these plus inputs found by
libFuzzer and minimised with -merge=1 (see build_fuzzer.sh).
"""
import os
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(out, exist_ok=True)
rng = random.Random(20261121)


def body(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


seeds = {}
for geo in range(8):
    for flags in (0x00, 0x01, 0x11, 0x81):
        head = bytes([geo | (rng.getrandbits(3) << 3) & 0xdf]) + body(10)
        # setup() reads the selector, 0-17 parameter bytes, then the flags
        # byte: byte 3 is the flags byte for geometries with two parameter
        # bytes; for the others it is just data (libFuzzer varies the rest).
        seeds["native-g%d-f%02x" % (geo, flags)] = head[:3] + bytes([flags]) + body(400)
for i in range(8):
    seeds["linux-%d" % i] = bytes([0xe0 + i, rng.getrandbits(8) & 0xbf]) + body(500)
for i in range(8):
    seeds["cache-%d" % i] = bytes([0xd0 + i, (i & 3) | (rng.getrandbits(8) & 0xec)]) + body(500)
for name, data in sorted(seeds.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("wrote %d seeds to %s" % (len(seeds), out))
