#!/usr/bin/env python3
"""Writes CodecFuzz seeds into OUT: the first frame of every compressed image among pydicom's
test files, behind the 9-byte header CodecFuzz reads (syntax index, rows, columns, samples,
bits allocated, bits stored, signedness and photometric).

  make-codec-seeds.py OUT
"""
import os
import sys

from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_frames

SYNTAXES = ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
            "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
            "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.203", "1.2.840.10008.1.2.5"]
PHOTOMETRICS = ["MONOCHROME2", "MONOCHROME1", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT", "PALETTE COLOR"]

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
root = os.path.dirname(get_testdata_file("CT_small.dcm"))
written = 0
for name in sorted(os.listdir(root)):
    try:
        ds = dcmread(os.path.join(root, name))
        syntax = str(ds.file_meta.TransferSyntaxUID)
        if syntax not in SYNTAXES or ds.Rows * ds.Columns > 1 << 20:
            continue
        frame = next(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1) or 1)))
        photometric = PHOTOMETRICS.index(ds.PhotometricInterpretation) if ds.PhotometricInterpretation in PHOTOMETRICS else 0
        header = bytes([SYNTAXES.index(syntax), ds.Rows >> 8, ds.Rows & 0xFF, ds.Columns >> 8, ds.Columns & 0xFF,
                        0 if ds.SamplesPerPixel == 1 else 1, 0 if ds.BitsAllocated == 8 else 1, ds.BitsStored,
                        (photometric << 1) | int(ds.PixelRepresentation)])
        with open(os.path.join(out, name + ".seed"), "wb") as f:
            f.write(header + frame)
        written += 1
    except Exception:
        continue
print(f"{written} seeds")
