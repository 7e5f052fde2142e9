#!/usr/bin/env python3
"""Writes N small studies into DIR: each one instance of 64x64 16-bit pixels (about 9 KB),
its own patient, study and series — the bulk of a large archive in a benchmark that must
fit on one machine. One file is made with pydicom; the others are that file with its
fixed-length UIDs, patient ID and pixel values replaced (pydicom would take a second per
hundred files). UIDs are 2.25.<n>, distinct for each START.

Usage: make-small-studies.py DIR N [START]
"""
import os
import sys

import pydicom
from pydicom.data import get_testdata_file

directory, count = sys.argv[1], int(sys.argv[2])
start = int(sys.argv[3]) if len(sys.argv) > 3 else 0
os.makedirs(directory, exist_ok=True)
ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
ds.Rows = ds.Columns = 64
# Placeholders of a fixed length: each file replaces them with values of the same length.
marks = {"patient": "SMALL-XXXXXXXXX", **{kind: f"2.25.{10**31 + digit}" for kind, digit in (("study", 1), ("series", 2), ("instance", 3))}}
ds.PatientID = marks["patient"]
ds.StudyInstanceUID, ds.SeriesInstanceUID = marks["study"], marks["series"]
ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = marks["instance"]
ds.PixelData = b"\xAB\xCD" * (64 * 64)
template = os.path.join(directory, "template.dcm")
ds.save_as(template, enforce_file_format=True)
data = open(template, "rb").read()
os.remove(template)
pixels = data.rindex(b"\xAB\xCD" * (64 * 64))
for index in range(count):
    n = start + index
    out = data.replace(marks["patient"].encode(), f"SMALL-{n:09d}".encode())
    for kind, digit in (("study", 1), ("series", 2), ("instance", 3)):
        out = out.replace(marks[kind].encode(), f"2.25.{10**31 + n * 10 + digit}".encode())
    out = out[:pixels] + (n % 4096).to_bytes(2, "little") * (64 * 64) + out[pixels + 2 * 64 * 64:]
    shard = os.path.join(directory, f"{n // 1000:04d}")
    if index == 0 or n % 1000 == 0:
        os.makedirs(shard, exist_ok=True)
    with open(os.path.join(shard, f"S{n:09d}.dcm"), "wb") as f:
        f.write(out)
