"""The lab's AWS story, told with boto3 against one endpoint, as JSON outcomes.

Usage: aws_scenario.py ENDPOINT ADMIN_KEY_ID ADMIN_SECRET

Run against moto (auth enforced) and against vaultlab's sandbox, the outcomes are
compared step by step by tests/aws_differential.rs. Each step records "ok" or the
error code and HTTP status AWS (or its emulator) answered with.
"""

import json
import sys
import time

import boto3
import botocore.config
from botocore.exceptions import ClientError

LAB_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Stmt1426528957000", "Effect": "Allow",
                   "Action": ["ec2:*"], "Resource": ["*"]}],
})
DENY_DESCRIBE = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "ec2:DescribeInstances", "Resource": "*"}],
})

endpoint, admin_key, admin_secret = sys.argv[1:4]
config = botocore.config.Config(retries={"max_attempts": 1})


def client(service, key, secret):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=config)


def outcome(call):
    try:
        result = call()
        result.pop("ResponseMetadata", None)
        return {"outcome": "ok", "result": result}
    except ClientError as e:
        return {"outcome": "error", "code": e.response["Error"]["Code"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


def until_key_works(call, seconds=20):
    """A new key is eventually consistent: retry while AWS does not know it yet."""
    deadline = time.time() + seconds
    while True:
        result = outcome(call)
        if result.get("code") not in ("AuthFailure", "InvalidClientTokenId") or time.time() > deadline:
            return result
        time.sleep(0.2)


steps = {}
admin_iam = client("iam", admin_key, admin_secret)
steps["admin_get_caller_identity"] = outcome(
    lambda: client("sts", admin_key, admin_secret).get_caller_identity())
steps["create_user"] = outcome(lambda: admin_iam.create_user(UserName="lab-user"))
steps["create_user_again"] = outcome(lambda: admin_iam.create_user(UserName="lab-user"))
steps["put_lab_policy"] = outcome(lambda: admin_iam.put_user_policy(
    UserName="lab-user", PolicyName="my-role", PolicyDocument=LAB_POLICY))
steps["list_user_policies"] = outcome(lambda: admin_iam.list_user_policies(UserName="lab-user"))
key = admin_iam.create_access_key(UserName="lab-user")["AccessKey"]
user_key, user_secret = key["AccessKeyId"], key["SecretAccessKey"]
user_ec2 = client("ec2", user_key, user_secret)

steps["describe_instances"] = until_key_works(lambda: user_ec2.describe_instances())
steps["user_get_caller_identity"] = until_key_works(
    lambda: client("sts", user_key, user_secret).get_caller_identity())
steps["user_list_users_denied"] = outcome(lambda: client("iam", user_key, user_secret).list_users())
steps["wrong_secret_iam"] = outcome(lambda: client("iam", user_key, "x" * 40).get_user())
steps["wrong_secret_ec2"] = outcome(lambda: client("ec2", user_key, "x" * 40).describe_instances())
steps["unknown_key_sts"] = outcome(
    lambda: client("sts", "AKIAAAAAAAAAAAAAAAAA", "x" * 40).get_caller_identity())

steps["put_deny_policy"] = outcome(lambda: admin_iam.put_user_policy(
    UserName="lab-user", PolicyName="deny", PolicyDocument=DENY_DESCRIBE))
steps["describe_instances_explicit_deny"] = outcome(lambda: user_ec2.describe_instances())
steps["delete_user_with_policies"] = outcome(lambda: admin_iam.delete_user(UserName="lab-user"))
steps["get_missing_user"] = outcome(lambda: admin_iam.get_user(UserName="nobody"))

# Revocation, in Vault's order.
steps["delete_access_key"] = outcome(lambda: admin_iam.delete_access_key(
    UserName="lab-user", AccessKeyId=user_key))
for name in ("my-role", "deny"):
    admin_iam.delete_user_policy(UserName="lab-user", PolicyName=name)
steps["delete_user"] = outcome(lambda: admin_iam.delete_user(UserName="lab-user"))
steps["describe_instances_after_delete"] = outcome(lambda: user_ec2.describe_instances())
steps["get_caller_identity_after_delete"] = outcome(
    lambda: client("sts", user_key, user_secret).get_caller_identity())

print(json.dumps(steps, default=str))
