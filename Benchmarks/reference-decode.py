#!/usr/bin/env python3
"""Median milliseconds of ROUNDS in-process decodes of FILE by the library pydicom's plugin
wraps — pylibjpeg-openjpeg (OpenJPEG) for .j2k, pyjpegls (CharLS) for .jls, Pillow
(libjpeg-turbo) for .jpg.

  reference-decode.py FILE [ROUNDS]
"""
import statistics
import sys
import time

import numpy

path = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 50
data = open(path, "rb").read()
if path.endswith(".jpg"):
    import io

    from PIL import Image

    run = lambda: Image.open(io.BytesIO(data)).load()  # noqa: E731  (libjpeg-turbo)
elif path.endswith(".j2k"):
    from openjpeg import decode

    run = lambda: decode(data)  # noqa: E731
else:
    from jpeg_ls import decode

    buffer = numpy.frombuffer(data, dtype=numpy.uint8)
    run = lambda: decode(buffer)  # noqa: E731
times = []
for _ in range(rounds):
    start = time.perf_counter()
    run()
    times.append((time.perf_counter() - start) * 1e3)
print(f"{statistics.median(times):.3f}")
