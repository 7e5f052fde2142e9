#!/usr/bin/env python3
"""Writes a Basic Text SR (PS3.3 A.35.1) into a study, as a reporting system would send it:
a title, a findings container with a text item and a measurement, and an impression.

  make_report.py OUT PATIENT_NAME PATIENT_ID STUDY_UID STUDY_DATE
"""
import sys

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

out, name, patient, study, date = sys.argv[1:6]


def code(value, scheme, meaning):
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return Sequence([item])


def text(concept, value):
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "TEXT"
    item.ConceptNameCodeSequence = code(*concept)
    item.TextValue = value
    return item


ds = Dataset()
ds.file_meta = FileMetaDataset()
ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
ds.PatientName, ds.PatientID, ds.StudyInstanceUID, ds.StudyDate = name, patient, study, date
ds.SeriesInstanceUID, ds.SeriesNumber, ds.InstanceNumber, ds.Modality = generate_uid(), 99, 1, "SR"
ds.SeriesDescription, ds.ContentDate, ds.ContentTime = "Report", date, "120000"
ds.ValueType, ds.ConceptNameCodeSequence = "CONTAINER", code("18748-4", "LN", "Radiology Report")
ds.ContinuityOfContent, ds.CompletionFlag, ds.VerificationFlag = "SEPARATE", "COMPLETE", "UNVERIFIED"
findings = Dataset()
findings.RelationshipType, findings.ValueType, findings.ContinuityOfContent = "CONTAINS", "CONTAINER", "SEPARATE"
findings.ConceptNameCodeSequence = code("121070", "DCM", "Findings")
size = Dataset()
size.RelationshipType, size.ValueType = "CONTAINS", "NUM"
size.ConceptNameCodeSequence = code("410668003", "SCT", "Length")
measured = Dataset()
measured.NumericValue = "12"
measured.MeasurementUnitsCodeSequence = code("mm", "UCUM", "millimeter")
size.MeasuredValueSequence = Sequence([measured])
findings.ContentSequence = Sequence([text(("121071", "DCM", "Finding"), "No acute abnormality."), size])
ds.ContentSequence = Sequence([findings, text(("121073", "DCM", "Impression"), "Normal study.")])
ds.save_as(out, enforce_file_format=True)
