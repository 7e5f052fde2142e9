"""Makes an IAM user with full S3 rights on a moto server whose authentication is on
(INITIAL_NO_AUTH_ACTION_COUNT=3: these three calls are the last unauthenticated ones) and
prints its access key id and secret, one per line.

Usage: python3 moto_credentials.py http://127.0.0.1:PORT
"""
import json
import sys

import boto3

iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="lifeboat")
key = iam.create_access_key(UserName="lifeboat")["AccessKey"]
iam.put_user_policy(UserName="lifeboat", PolicyName="s3", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
print(key["AccessKeyId"])
print(key["SecretAccessKey"])
