#!/usr/bin/env python3
"""The reference for restore throughput: boto3 downloads every object under blobs/ of
s3://BUCKET into DIR with THREADS downloads at once (as lifeboat restore does by default);
prints the seconds taken and the bytes.

Usage: boto3-download.py ENDPOINT BUCKET THREADS DIR   (keys from AWS_ACCESS_KEY_ID etc.)
"""
import concurrent.futures
import os
import sys
import time

import boto3

endpoint, bucket, threads, directory = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
os.makedirs(directory, exist_ok=True)


def download(key):
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with open(os.path.join(directory, os.path.basename(key)), "wb") as out:
        out.write(body)
    return len(body)


start = time.monotonic()
keys = [item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="blobs/") for item in page.get("Contents", [])]
with concurrent.futures.ThreadPoolExecutor(threads) as pool:
    total = sum(pool.map(download, keys))
print(f"{time.monotonic() - start:.3f} {total}")
