"""Drives the sandbox's AWS endpoint with boto3 and prints what botocore parsed, as JSON.

Env: SANDBOX_URL, ADMIN_KEY, ADMIN_SECRET. Called by tests/aws_endpoint.rs.
"""

import json
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ["SANDBOX_URL"]
CONFIG = Config(retries={"max_attempts": 1}, region_name="us-east-1")
LAB_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Stmt1426528957000", "Effect": "Allow", "Action": ["ec2:*"], "Resource": ["*"]}],
    }
)


def client(service, key, secret):
    return boto3.client(
        service, endpoint_url=URL, aws_access_key_id=key, aws_secret_access_key=secret, config=CONFIG
    )


def failure(call):
    try:
        call()
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    raise AssertionError("call should have failed")


admin = (os.environ["ADMIN_KEY"], os.environ["ADMIN_SECRET"])
iam = client("iam", *admin)
report = {}

identity = client("sts", *admin).get_caller_identity()
report["admin_arn"] = identity["Arn"]
report["request_id"] = identity["ResponseMetadata"]["RequestId"]

user = iam.create_user(UserName="boto-user", Tags=[{"Key": "team", "Value": "lab"}])["User"]
user["CreateDate"] = user["CreateDate"].isoformat()
report["created_user"] = user
iam.put_user_policy(UserName="boto-user", PolicyName="my-role", PolicyDocument=LAB_POLICY)
report["policy_document"] = iam.get_user_policy(UserName="boto-user", PolicyName="my-role")["PolicyDocument"]
report["policy_names"] = iam.list_user_policies(UserName="boto-user")["PolicyNames"]
key = iam.create_access_key(UserName="boto-user")["AccessKey"]
report["key_id"] = key["AccessKeyId"]
report["listed_keys"] = len(iam.list_access_keys(UserName="boto-user")["AccessKeyMetadata"])
report["user_count"] = len(iam.list_users()["Users"])
iam.list_attached_user_policies(UserName="boto-user")
iam.list_groups_for_user(UserName="boto-user")
report["no_such_user"] = failure(lambda: iam.get_user(UserName="nobody"))

new = (key["AccessKeyId"], key["SecretAccessKey"])
ec2 = client("ec2", *new)
report["reservations"] = ec2.describe_instances(MaxResults=5)["Reservations"]
report["regions"] = [r["RegionName"] for r in ec2.describe_regions()["Regions"]]
report["new_key_identity"] = client("sts", *new).get_caller_identity()["Arn"]
report["new_key_list_users"] = failure(lambda: client("iam", *new).list_users())

report["conflict"] = failure(lambda: iam.delete_user(UserName="boto-user"))
iam.delete_access_key(UserName="boto-user", AccessKeyId=key["AccessKeyId"])
iam.delete_user_policy(UserName="boto-user", PolicyName="my-role")
iam.delete_user(UserName="boto-user")
report["deleted_key_ec2"] = failure(lambda: ec2.describe_instances())
report["deleted_key_sts"] = failure(lambda: client("sts", *new).get_caller_identity())

print(json.dumps(report))
