#!/usr/bin/env python3
"""Makes the compressed images pydicom's own files lack, each from a native original made or
kept here, by the field's own encoders: JPEG extended 12-bit lossy and baseline 8-bit
(DCMTK's dcmcjpeg +ee/+eb, a 3-frame one among them), JPEG-LS near-lossless (dcmcjpls +en,
NEAR 2), JPEG 2000 of RGB through its colour transforms — reversible (YBR_RCT, .90) and
irreversible (YBR_ICT, .91) — by OpenJPEG's opj_compress, HTJ2K lossless (.201) and lossy
(.203) by OpenJPH's ojph_compress, and a 3-frame JPEG 2000 with a basic offset table.
Prints one JSON line a file: the file, its native original, how it was made, and the most
a sample may differ from the original (the encoder's own bound; null for lossy ones).

  make_codec_variants.py OUTDIR
"""
import copy
import json
import os
import subprocess
import sys

import numpy as np
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def native(name, base, pixels, bits, photometric="MONOCHROME2", signed=0):
    ds = copy.deepcopy(base)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    # pixels: (rows, columns), (frames, rows, columns), or (rows, columns, 3) for RGB.
    rows, columns = (pixels.shape[0], pixels.shape[1]) if photometric == "RGB" or pixels.ndim == 2 else (pixels.shape[1], pixels.shape[2])
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 3 if photometric == "RGB" else 1
    ds.PhotometricInterpretation = photometric
    if photometric == "RGB":
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = 8 if bits <= 8 else 16
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits - 1, signed
    frames = pixels.shape[0] if pixels.ndim == 3 and photometric != "RGB" else 1
    if frames > 1:
        ds.NumberOfFrames = frames
    elif "NumberOfFrames" in ds:
        del ds.NumberOfFrames
    for keyword in ("WindowCenter", "WindowWidth", "LargestImagePixelValue", "SmallestImagePixelValue", "PaletteColorLookupTableUID"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.SOPInstanceUID = f"{base.SOPInstanceUID}.{abs(hash(name)) % 100000}"
    ds.PixelData = pixels.tobytes()
    path = os.path.join(out, name)
    ds.save_as(path, enforce_file_format=True)
    return path


def emit(file, source, way, bound):
    print(json.dumps({"file": file, "source": source, "way": way, "bound": bound}), flush=True)


def run(tool, *arguments):
    result = subprocess.run([tool, *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{tool} {' '.join(arguments)}: {result.stderr.strip()[-300:]}")


mr = dcmread(get_testdata_file("MR_small.dcm"))
y, x = np.mgrid[0:64, 0:64]
smooth = (2048 + 1500 * np.sin(x / 9.0) * np.cos(y / 7.0)).astype(np.uint16)
mono12 = native("mono12.dcm", mr, smooth, 12)
frames12 = native("frames12.dcm", mr, np.stack([(smooth + 300 * k) % 4096 for k in range(3)]).astype(np.uint16), 12)
mono8 = native("mono8.dcm", mr, (smooth >> 4).astype(np.uint8), 8)
rgb = np.stack([(smooth >> 4).astype(np.uint8), ((x * 4) % 256).astype(np.uint8), ((y * 4) % 256).astype(np.uint8)], axis=-1)
rgb8 = native("rgb8.dcm", dcmread(get_testdata_file("SC_rgb_small_odd.dcm")), rgb, 8, "RGB")

# DCMTK: JPEG lossy (extended 12-bit, baseline 8-bit) and JPEG-LS near-lossless (NEAR 2).
for source, options, label, bound in ((mono12, ["+ee"], "jpeg-extended12", None), (frames12, ["+ee"], "jpeg-extended12-3frames", None),
                                      (mono8, ["+eb"], "jpeg-baseline8", None), (rgb8, ["+eb"], "jpeg-baseline-rgb", None),
                                      (mono12, ["+en"], "jpegls-near2", 2), (rgb8, ["+en"], "jpegls-near2-rgb", 2)):
    target = os.path.join(out, f"{os.path.basename(source)[:-4]}-{label}.dcm")
    run("/usr/bin/dcmcjpeg" if label.startswith("jpeg-") else "/usr/bin/dcmcjpls", *options, source, target)
    emit(target, source, label, bound)


def wrap(source, codestreams, syntax, photometric, name):
    ds = dcmread(source)
    ds.file_meta.TransferSyntaxUID = syntax
    ds.PhotometricInterpretation = photometric
    ds.PixelData = encapsulate(codestreams, has_bot=len(codestreams) > 1)
    ds["PixelData"].VR = "OB"
    if syntax.endswith(".91") or syntax.endswith(".203"):
        ds.LossyImageCompression = "01"
    path = os.path.join(out, name)
    ds.save_as(path, enforce_file_format=True)
    return path


def picture(pixels, path):
    if pixels.ndim == 3:
        header = f"P6\n{pixels.shape[1]} {pixels.shape[0]}\n255\n".encode()
        data = pixels.astype(np.uint8).tobytes()
    else:
        top = 255 if pixels.dtype == np.uint8 else 4095
        header = f"P5\n{pixels.shape[1]} {pixels.shape[0]}\n{top}\n".encode()
        data = pixels.astype(">u2" if top > 255 else np.uint8).tobytes()
    with open(path, "wb") as f:
        f.write(header + data)


scratch = os.path.join(out, "scratch")
os.makedirs(scratch, exist_ok=True)
picture(rgb, os.path.join(scratch, "rgb.ppm"))
# OpenJPEG: RGB through the reversible (lossless) and the irreversible colour transform.
run("opj_compress", "-i", os.path.join(scratch, "rgb.ppm"), "-o", os.path.join(scratch, "rct.j2k"), "-mct", "1")
run("opj_compress", "-i", os.path.join(scratch, "rgb.ppm"), "-o", os.path.join(scratch, "ict.j2k"), "-mct", "1", "-I", "-r", "8")
emit(wrap(rgb8, [open(os.path.join(scratch, "rct.j2k"), "rb").read()], "1.2.840.10008.1.2.4.90", "YBR_RCT", "rgb8-j2k-rct.dcm"), rgb8, "j2k-ybr-rct", 0)
emit(wrap(rgb8, [open(os.path.join(scratch, "ict.j2k"), "rb").read()], "1.2.840.10008.1.2.4.91", "YBR_ICT", "rgb8-j2k-ict.dcm"), rgb8, "j2k-ybr-ict", None)
# A 3-frame JPEG 2000 lossless, one fragment a frame, with a basic offset table.
streams = []
for k, frame in enumerate(np.stack([(smooth + 300 * k) % 4096 for k in range(3)]).astype(np.uint16)):
    picture(frame, os.path.join(scratch, f"f{k}.pgm"))
    run("opj_compress", "-i", os.path.join(scratch, f"f{k}.pgm"), "-o", os.path.join(scratch, f"f{k}.j2k"))
    streams.append(open(os.path.join(scratch, f"f{k}.j2k"), "rb").read())
emit(wrap(frames12, streams, "1.2.840.10008.1.2.4.90", "MONOCHROME2", "frames12-j2k.dcm"), frames12, "j2k-3frames", 0)
# OpenJPH: HTJ2K lossless (.201) and lossy (.203), mono 12-bit and RGB.
picture(smooth, os.path.join(scratch, "mono12.pgm"))
run("ojph_compress", "-i", os.path.join(scratch, "mono12.pgm"), "-o", os.path.join(scratch, "mono-rev.j2c"), "-reversible", "true")
run("ojph_compress", "-i", os.path.join(scratch, "mono12.pgm"), "-o", os.path.join(scratch, "mono-irr.j2c"), "-qstep", "0.002")
run("ojph_compress", "-i", os.path.join(scratch, "rgb.ppm"), "-o", os.path.join(scratch, "rgb-rev.j2c"), "-reversible", "true")
emit(wrap(mono12, [open(os.path.join(scratch, "mono-rev.j2c"), "rb").read()], "1.2.840.10008.1.2.4.201", "MONOCHROME2", "mono12-htj2k.dcm"), mono12, "htj2k-lossless", 0)
emit(wrap(mono12, [open(os.path.join(scratch, "mono-irr.j2c"), "rb").read()], "1.2.840.10008.1.2.4.203", "MONOCHROME2", "mono12-htj2k-lossy.dcm"), mono12, "htj2k-lossy", None)
emit(wrap(rgb8, [open(os.path.join(scratch, "rgb-rev.j2c"), "rb").read()], "1.2.840.10008.1.2.4.201", "YBR_RCT", "rgb8-htj2k.dcm"), rgb8, "htj2k-rgb-lossless", 0)
