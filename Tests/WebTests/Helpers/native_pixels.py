#!/usr/bin/env python3
"""Writes a frame's pixels as pydicom decodes them: native little-endian bytes, samples
interleaved, the layout Lifeboat's RLE decoder produces.

  native_pixels.py DICOM FRAME OUT
"""
import sys

from pydicom import dcmread

path, frame, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ds = dcmread(path)
pixels = ds.pixel_array
if int(ds.get("NumberOfFrames", 1)) > 1:
    pixels = pixels[frame - 1]
dtype = pixels.dtype.newbyteorder("<")
open(out, "wb").write(pixels.astype(dtype).tobytes())
