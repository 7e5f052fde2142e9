#!/usr/bin/env python3
"""Compares uncompressed copies with the compressed originals they were made from: reads
pairs "ORIGINAL RECEIVED" (one a line) from PAIRS, prints one JSON object a line:
the received file's transfer syntax, the largest difference between its native pixels and
the reference decode of the original (reference_frames.reference), and its Lossy Image
Compression (0028,2110) and method (0028,2114).

  compare_transcoded.py PAIRS
"""
import json
import os
import sys

import numpy
from pydicom import dcmread

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_frames import reference  # noqa: E402

for line in open(sys.argv[1]):
    original, received = line.rstrip("\n").split(" ", 1)
    result = {"original": original}
    try:
        expected, photometric, name = reference(original)
        ds = dcmread(received)
        got = ds.pixel_array  # native: pydicom's own reader, no plugin
        result.update({
            "syntax": str(ds.file_meta.TransferSyntaxUID),
            "photometric": str(ds.PhotometricInterpretation),
            "expectedPhotometric": photometric,
            "lossy": str(ds.get("LossyImageCompression", "")),
            "method": str(ds.get("LossyImageCompressionMethod", "")),
            "shape": list(got.shape), "expectedShape": list(expected.shape),
            "reference": name,
        })
        if got.shape == expected.shape:
            result["difference"] = int(numpy.max(numpy.abs(got.astype(numpy.int64) - expected.astype(numpy.int64))))
    except Exception as error:  # reported, not raised: the test says which file
        result["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(result), flush=True)
