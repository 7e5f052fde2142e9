#!/usr/bin/env python3
"""The reference for backfill throughput: boto3 uploads FILES to s3://BUCKET/blobs/ with
THREADS uploads at once (as Lifeboat's S3 target does by default), each with its SHA-256
checksum as Lifeboat sends it; prints the seconds taken.

Usage: boto3-upload.py ENDPOINT BUCKET THREADS FILE...   (keys from AWS_ACCESS_KEY_ID etc.)
"""
import concurrent.futures
import os
import sys
import time

import boto3

endpoint, bucket, threads, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


def upload(path):
    with open(path, "rb") as body:
        s3.put_object(Bucket=bucket, Key="blobs/" + os.path.basename(path), Body=body, ChecksumAlgorithm="SHA256")


start = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(threads) as pool:
    list(pool.map(upload, files))
print(f"{time.monotonic() - start:.3f}")
