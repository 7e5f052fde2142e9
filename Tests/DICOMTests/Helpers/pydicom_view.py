#!/usr/bin/env python3
"""Prints pydicom's view of DICOM files as JSON, for the corpus test to compare with.

Usage: pydicom_view.py ROOT FILE...          (FILEs relative to ROOT)
       pydicom_view.py --json ROOT FILE...   pydicom's DICOM JSON model of each data set,
                                             binary values inline

For each file: how pydicom read it ("strict", "force", or "error"), and its meta
group and data set as a list of elements in tag order, each
  {"tag": "GGGGEEEE", "vr": VR, ...} with one of
  "values": [strings or numbers]    text, numbers and tags (AT as an integer)
  "items":  [[elements], ...]        sequences
  "bytes": Base64                    binary values, little endian; for encapsulated
                                     pixel data, the items after the element header
and "raw": the value's bytes as stored (Base64), when pydicom had them raw.
"""
import base64
import json
import math
import os
import sys
import warnings

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.multival import MultiValue

warnings.simplefilter("ignore")
pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE

BINARY = {"OB", "OW", "OD", "OF", "OL", "OV", "UN"}
SWAP = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
NUMERIC = {"US", "SS", "UL", "SL", "SV", "UV", "FL", "FD"}


def number(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def swapped(data, size):
    out = bytearray(data)
    for start in range(0, len(out) - len(out) % size, size):
        out[start:start + size] = out[start:start + size][::-1]
    return bytes(out)


def listing(ds, big_endian):
    raws = {}
    for tag in list(ds.keys()):
        item = ds.get_item(tag)
        if isinstance(item, RawDataElement):
            raws[tag] = base64.b64encode(item.value or b"").decode()
    out = []
    for elem in ds:
        entry = {"tag": "%08X" % elem.tag, "vr": elem.VR}
        if elem.tag in raws:
            entry["raw"] = raws[elem.tag]
        value = elem.value
        if elem.VR == "SQ":
            entry["items"] = [listing(item, big_endian) for item in (value or [])]
        elif elem.VR in BINARY or isinstance(value, (bytes, bytearray)):
            data = bytes(value or b"")
            if big_endian and elem.VR in SWAP and not elem.is_undefined_length:
                size = SWAP[elem.VR]
                # Native pixel data holds Bits Allocated-sized numbers: pydicom reads a 32-bit
                # Big Endian image as 4-byte big-endian integers (its pixel_array equals the
                # same image stored little endian).
                if elem.tag == 0x7FE00010 and elem.VR == "OW" and ds.get("BitsAllocated") in (32, 64):
                    size = ds.BitsAllocated // 8
                data = swapped(data, size)
            entry["bytes"] = base64.b64encode(data).decode()
        elif elem.VR in NUMERIC or elem.VR == "AT":
            values = value if isinstance(value, (list, MultiValue)) else ([] if value is None else [value])
            entry["values"] = [number(int(v) if elem.VR == "AT" else v) for v in values]
        else:
            if value is None or value == "":
                values = []
            elif isinstance(value, (list, MultiValue)):
                values = [str(v) for v in value]
            else:
                values = [str(value)]
            entry["values"] = [v.strip(" \x00") for v in values]
        out.append(entry)
    return out


def view(path):
    mode = "strict"
    try:
        ds = pydicom.dcmread(path)
    except Exception:
        mode = "force"
        try:
            ds = pydicom.dcmread(path, force=True)
        except Exception as error:
            return {"mode": "error", "error": str(error)}
    try:
        big_endian = not ds.original_encoding[1] if ds.original_encoding[1] is not None else False
        return {
            "mode": mode,
            "meta": listing(ds.file_meta, False),
            "elements": listing(ds, big_endian),
        }
    except Exception as error:
        return {"mode": "error", "error": "%s: %s" % (type(error).__name__, error)}


def json_model(path):
    try:
        return pydicom.dcmread(path).to_json_dict(bulk_data_threshold=1 << 40)
    except Exception as error:
        return {"error": "%s: %s" % (type(error).__name__, error)}


def main():
    arguments = sys.argv[1:]
    describe = view
    if arguments[0] == "--json":
        describe = json_model
        arguments = arguments[1:]
    root = arguments[0]
    result = {name: describe(os.path.join(root, name)) for name in arguments[1:]}
    json.dump(result, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
