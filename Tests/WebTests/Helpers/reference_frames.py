#!/usr/bin/env python3
"""Writes every frame of an image as pydicom 3 and its pixel-data plugins decode it: native
little-endian samples, colour by pixel, frame after frame; prints the frame count, the
Photometric Interpretation they are in and which decoder gave them.

8-bit lossy JPEG goes through Pillow (libjpeg-turbo, which GDCM's decoder agrees with to
the sample; pylibjpeg's libjpeg, another codebase, rounds colour up to 3 levels apart);
JPEG no plugin reads (12-bit extended) through DCMTK's dcmdjpeg, then pydicom; the rest
through pylibjpeg (OpenJPEG), pyjpegls (CharLS) or pydicom's own RLE.

  reference_frames.py DICOM OUT
"""
import json
import os
import subprocess
import sys
import tempfile

from pydicom import dcmread
from pydicom.pixels import pixel_array


def reference(path):
    """The pixels pydicom's reference decoders give, the Photometric Interpretation they are
    in, and which decoder gave them."""
    ds = dcmread(path)
    syntax = str(ds.file_meta.TransferSyntaxUID)
    name = "pydicom"
    if not ds.file_meta.TransferSyntaxUID.is_compressed:
        # Native, Big Endian or deflated: pydicom's own reader (its pixel_array(path) reads no deflated file).
        pixels = ds.pixel_array
    elif syntax in ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51") and int(ds.BitsStored) <= 8:
        pixels, name = pixel_array(path, decoding_plugin="pillow"), "pillow"
    else:
        try:
            pixels = pixel_array(path)
        except Exception:
            if not syntax.startswith("1.2.840.10008.1.2.4.5") and not syntax.startswith("1.2.840.10008.1.2.4.7"):
                raise
            with tempfile.TemporaryDirectory() as scratch:
                native = os.path.join(scratch, "native.dcm")
                subprocess.run(["/usr/bin/dcmdjpeg", path, native], check=True)
                pixels, name = pixel_array(native), "dcmdjpeg"
    photometric = str(ds.PhotometricInterpretation)
    # pydicom converts YBR to RGB by default (as_rgb) where the decoder has not already.
    if ds.SamplesPerPixel == 3 and photometric.startswith("YBR"):
        photometric = "RGB"
    return pixels.astype(pixels.dtype.newbyteorder("<")), photometric, name


if __name__ == "__main__":
    path, out = sys.argv[1], sys.argv[2]
    frames = int(dcmread(path, stop_before_pixels=True).get("NumberOfFrames", 1) or 1)
    pixels, photometric, name = reference(path)
    open(out, "wb").write(pixels.tobytes())
    print(json.dumps({"frames": frames, "photometric": photometric, "bytes": pixels.nbytes, "reference": name}))
