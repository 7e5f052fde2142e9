#!/usr/bin/env python3
"""The dicomweb-client package as a real DICOMweb peer for the interop tests.

  dicomweb_peer.py roundtrip URL FILE...
      Stores the files (STOW-RS), then searches for them (QIDO-RS) and retrieves them
      (WADO-RS: studies, one instance, metadata, frames' bulk data) with the API token in
      $LIFEBOAT_TOKEN, after trying a search without it. Prints a JSON summary.
"""
import json
import os
import sys

import requests
from dicomweb_client.api import DICOMwebClient
from pydicom import dcmread


def roundtrip(url, *files):
    # Without the token the server must refuse: the status it answered.
    try:
        DICOMwebClient(url=url).search_for_studies()
        anonymous = 200
    except requests.exceptions.HTTPError as error:
        anonymous = error.response.status_code
    client = DICOMwebClient(url=url, headers={"Authorization": "Bearer " + os.environ["LIFEBOAT_TOKEN"]})
    sent = [dcmread(path) for path in files]
    stored = client.store_instances(sent)
    referenced = [str(item.ReferencedSOPInstanceUID) for item in stored.get("ReferencedSOPSequence", [])]
    studies = sorted({str(ds.StudyInstanceUID) for ds in sent})
    found_studies = client.search_for_studies(search_filters={"PatientID": str(sent[0].PatientID)})
    paged = client.search_for_studies(limit=1, get_remaining=True)
    study = studies[0]
    series = client.search_for_series(study_instance_uid=study)
    instances = client.search_for_instances(study_instance_uid=study, fields=["Rows"])
    retrieved = client.retrieve_study(study)
    by_uid = {str(ds.SOPInstanceUID): ds for ds in sent}
    same = all(by_uid[str(ds.SOPInstanceUID)].PixelData == ds.PixelData and by_uid[str(ds.SOPInstanceUID)].PatientName == ds.PatientName
               for ds in retrieved)
    first = retrieved[0]
    one = client.retrieve_instance(study, str(first.SeriesInstanceUID), str(first.SOPInstanceUID))
    metadata = client.retrieve_instance_metadata(study, str(first.SeriesInstanceUID), str(first.SOPInstanceUID))
    print(json.dumps({
        "anonymousStatus": anonymous,
        "stored": sorted(referenced),
        "failed": len(stored.get("FailedSOPSequence", [])),
        "studiesFound": sorted(s["0020000D"]["Value"][0] for s in found_studies),
        "allStudiesPaged": len(paged),
        "series": sorted(s["0020000E"]["Value"][0] for s in series),
        "instances": sorted(i["00080018"]["Value"][0] for i in instances),
        "rows": sorted({i.get("00280010", {}).get("Value", [None])[0] for i in instances}, key=str),
        "retrieved": sorted(str(ds.SOPInstanceUID) for ds in retrieved),
        "sameContent": same,
        "oneInstance": str(one.SOPInstanceUID),
        "metadataPatientName": metadata.get("00100010", {}).get("Value", [{}])[0].get("Alphabetic"),
    }))


if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    if mode == "roundtrip":
        roundtrip(*arguments)
