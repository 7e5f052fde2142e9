#!/usr/bin/env python3
"""Makes the frames the codec benchmark decodes, in OUT: a 512x512 16-bit CT-like image (12
bits stored: soft tissue, bone, air and noise), compressed JPEG 2000 lossless by OpenJPEG's
opj_compress (frame.j2k), JPEG-LS lossless by CharLS (frame.jls) and, made 8-bit, baseline
JPEG by Pillow's libjpeg-turbo (frame.jpg); and a DICOM instance of
the JPEG 2000 frame (study/j2k.dcm) for the rendered-image timing.

  make-codec-frames.py OUT
"""
import os
import subprocess
import sys

import numpy
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import generate_uid

import jpeg_ls
from PIL import Image

out = sys.argv[1]
os.makedirs(os.path.join(out, "study"), exist_ok=True)
rng = numpy.random.default_rng(19)
y, x = numpy.mgrid[0:512, 0:512]
body = ((x - 256) ** 2 / 200 ** 2 + (y - 256) ** 2 / 160 ** 2) < 1
bone = ((x - 256) ** 2 + (y - 330) ** 2) < 30 ** 2
image = numpy.where(body, 1040, 24) + numpy.where(bone, 1400, 0) + rng.normal(0, 12, (512, 512))
image = numpy.clip(image, 0, 4095).astype(numpy.uint16)

with open(os.path.join(out, "frame.pgm"), "wb") as f:
    f.write(b"P5\n512 512\n4095\n" + image.astype(">u2").tobytes())
subprocess.run(["opj_compress", "-i", os.path.join(out, "frame.pgm"), "-o", os.path.join(out, "frame.j2k")],
               check=True, stdout=subprocess.DEVNULL)
with open(os.path.join(out, "frame.jls"), "wb") as f:
    f.write(jpeg_ls.encode(image).tobytes())
# 8-bit baseline JPEG (quality 90) by Pillow's libjpeg-turbo, as ultrasound and secondary capture hold.
Image.fromarray((image >> 4).astype(numpy.uint8)).save(os.path.join(out, "frame.jpg"), quality=90)

j2k = open(os.path.join(out, "frame.j2k"), "rb").read()
ds = Dataset()
ds.file_meta = FileMetaDataset()
ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
ds.PatientName, ds.PatientID, ds.Modality, ds.StudyDate = "Codec^Bench", "CB1", "CT", "20261207"
ds.Rows = ds.Columns = 512
ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
ds.RescaleIntercept, ds.RescaleSlope, ds.WindowCenter, ds.WindowWidth = -1024, 1, 40, 400
ds.PixelData = encapsulate([j2k])
ds["PixelData"].VR = "OB"
ds.save_as(os.path.join(out, "study", "j2k.dcm"), enforce_file_format=True)
print(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
