#!/usr/bin/env python3
"""Writes a native multi-frame MR image (Explicit VR Little Endian, 16-bit) for the tests
that ask for many frames at once: FRAMES frames of ROWS x COLUMNS, each frame's pixels its
frame number, so each frame can be told apart.

  make_multiframe.py OUT FRAMES ROWS COLUMNS SOP_INSTANCE_UID
"""
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

out, frames, rows, columns, instance = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
mr = "1.2.840.10008.5.1.4.1.1.4.1"  # Enhanced MR Image Storage
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = mr
meta.MediaStorageSOPInstanceUID = instance
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = meta
ds.SOPClassUID, ds.SOPInstanceUID = mr, instance
ds.StudyInstanceUID, ds.SeriesInstanceUID = instance + ".1", instance + ".2"
ds.PatientName, ds.PatientID, ds.Modality = "Frames^Many", "FRAMES", "MR"
ds.Rows, ds.Columns, ds.NumberOfFrames = rows, columns, frames
ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
pixels = np.repeat(np.arange(1, frames + 1, dtype="<u2"), rows * columns)
ds.PixelData = pixels.tobytes()
ds.save_as(out, enforce_file_format=True)
