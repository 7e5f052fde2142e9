#!/usr/bin/env python3
"""Makes compressed images whose native originals are known: pydicom's native test images
and a 3-frame 12-bit image and a signed 12-bit image made here, each compressed by DCMTK's
own tools in every lossless way they have — JPEG lossless process 14 with selection values
1 to 7 and its SV1 syntax (dcmcjpeg), JPEG-LS lossless (dcmcjpls), RLE (dcmcrle). Prints one JSON line a
file: the compressed file and the native original it must decode to, sample for sample.

  make_codec_corpus.py OUTDIR
"""
import copy
import json
import os
import subprocess
import sys

import numpy as np
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRLittleEndian

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
sources = [get_testdata_file(name) for name in
           ("CT_small.dcm", "MR_small.dcm", "examples_overlay.dcm", "SC_rgb_small_odd.dcm", "examples_palette.dcm")]

# A 3-frame image, 12 bits stored in 16, and a signed 12-bit one.
base = dcmread(get_testdata_file("MR_small.dcm"))
ramp = (np.arange(64 * 64, dtype=np.int64).reshape(64, 64) * 7) % 4096
frames = np.stack([(ramp + 1000 * index) % 4096 for index in range(3)]).astype(np.uint16)
for name, pixels, signed in (("multiframe12.dcm", frames, 0), ("signed12.dcm", (ramp - 2048).astype(np.int16), 1)):
    ds = copy.deepcopy(base)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.Rows, ds.Columns = 64, 64
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, signed
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
    ds.SOPInstanceUID = ds.SOPInstanceUID + (".1" if signed == 0 else ".2")
    ds.PixelData = pixels.tobytes()
    for keyword in ("WindowCenter", "WindowWidth", "LargestImagePixelValue", "SmallestImagePixelValue"):
        if keyword in ds:
            delattr(ds, keyword)
    path = os.path.join(out, name)
    ds.save_as(path, enforce_file_format=True)
    sources.append(path)

ways = [("dcmcjpeg", ["+el", "+sv", str(sv)], f"jpeg-sv{sv}") for sv in range(1, 8)]
ways += [("dcmcjpeg", ["+e1"], "jpeg-70"), ("dcmcjpls", ["+el"], "jpegls"), ("dcmcrle", [], "rle")]
for source in sources:
    stem = os.path.splitext(os.path.basename(source))[0]
    for tool, options, label in ways:
        target = os.path.join(out, f"{stem}-{label}.dcm")
        run = subprocess.run([f"/usr/bin/{tool}"] + options + [source, target], capture_output=True, text=True)
        if run.returncode != 0:
            print(json.dumps({"source": source, "way": label, "refused": run.stderr.strip()[-300:]}))
            continue
        print(json.dumps({"file": target, "source": source, "way": label}))
