#!/usr/bin/env python3
"""Writes N distinct 512x512 16-bit CT instances (from pydicom's CT_small.dcm) into DIR,
or with --large BYTES one instance whose pixel data is BYTES long (a sparse file).

With --studies K the N instances are spread over K studies (one series each).

Usage: make-ct-corpus.py DIR N [--studies K]
       make-ct-corpus.py DIR --large 1073741824
"""
import os
import sys

import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid


def template():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.Rows = ds.Columns = 512
    return ds


def corpus(directory, count, studies=1):
    ds = template()
    pixels = b"".join(((index * 7) % 4096).to_bytes(2, "little") for index in range(512 * 512))
    ds.PixelData = pixels
    per_study = -(-count // studies)
    for index in range(count):
        if studies > 1 and index % per_study == 0:
            ds.StudyInstanceUID = generate_uid()
            ds.SeriesInstanceUID = generate_uid()
        uid = generate_uid()
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.save_as(os.path.join(directory, f"CT{index:05d}.dcm"), enforce_file_format=True)


def large(directory, length):
    ds = template()
    ds.NumberOfFrames = length // (512 * 512 * 2)
    ds.PixelData = b"\0\0"
    path = os.path.join(directory, "large.dcm")
    ds.save_as(path, enforce_file_format=True)
    # Grow the pixel data element to `length` bytes: patch its length, extend the file sparsely.
    with open(path, "r+b") as f:
        data = f.read()
        at = data.rfind(b"\xe0\x7f\x10\x00OW\x00\x00")
        f.seek(at + 8)
        f.write(length.to_bytes(4, "little"))
        f.truncate(at + 12 + length)


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    if sys.argv[2] == "--large":
        large(sys.argv[1], int(sys.argv[3]))
    else:
        studies = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--studies" else 1
        corpus(sys.argv[1], int(sys.argv[2]), studies)
