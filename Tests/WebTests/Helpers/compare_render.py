#!/usr/bin/env python3
"""Checks a PNG Lifeboat drew against pydicom and numpy's own reading of the same frame.

  compare_render.py PNG DICOM FRAME [CENTER WIDTH]
      Decodes the PNG with Pillow; computes the expected 8-bit picture with pydicom's pixel
      data, its modality LUT and the PS3.3 C.11.2.1.2.1 linear window (the one given, else
      the file's, else the frame's range); MONOCHROME1 inverted; PALETTE COLOR through
      pydicom's apply_color_lut. Prints {"size", "mode",
      "maxDifference"}.
"""
import json
import os
import sys

import numpy as np
from PIL import Image
from pydicom import dcmread
from pydicom.pixels import apply_color_lut, apply_modality_lut

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_frames import reference  # noqa: E402  (Pillow's libjpeg-turbo for 8-bit lossy JPEG, as the codec tests)

png, path, frame = sys.argv[1], sys.argv[2], int(sys.argv[3])
ds = dcmread(path)
pixels = reference(path)[0] if ds.file_meta.TransferSyntaxUID.is_compressed else ds.pixel_array
if int(ds.get("NumberOfFrames", 1)) > 1:
    pixels = pixels[frame - 1]
image = Image.open(png)
drawn = np.asarray(image).astype(float)
if ds.PhotometricInterpretation == "PALETTE COLOR":
    expected = apply_color_lut(pixels, ds).astype(float)
    if expected.max() > 255:
        expected = np.floor(expected / 256)
elif ds.SamplesPerPixel == 3:
    expected = pixels.astype(float)
    if ds.BitsAllocated > 8:
        expected = np.floor(expected / 2 ** (ds.BitsStored - 8)) % 256
else:
    values = apply_modality_lut(pixels, ds).astype(float)
    if len(sys.argv) > 5:
        center, width = float(sys.argv[4]), float(sys.argv[5])
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        center = float(ds.WindowCenter[0] if ds["WindowCenter"].VM > 1 else ds.WindowCenter)
        width = float(ds.WindowWidth[0] if ds["WindowWidth"].VM > 1 else ds.WindowWidth)
    else:
        low, high = values.min(), values.max()
        center, width = (low + high) / 2 + 0.5, max(high - low + 1, 1)
    width = max(width, 1)
    expected = np.clip(((values - (center - 0.5)) / (width - 1) + 0.5) * 255, 0, 255)
    expected[values <= center - 0.5 - (width - 1) / 2] = 0
    expected[values > center - 0.5 + (width - 1) / 2] = 255
    expected = np.floor(expected)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        expected = 255 - expected
print(json.dumps({"size": list(image.size), "mode": image.mode, "maxDifference": float(np.abs(drawn - expected).max())}))
