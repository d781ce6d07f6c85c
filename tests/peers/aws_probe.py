"""Sends the lab's error-path requests to an AWS-compatible endpoint and prints, as JSON,
what came back for each probe: {"probe": {"status", "code", "message"}}.

Requests are built and signed with botocore (SigV4Auth), so the probe can also send what
no SDK would (unknown actions, missing parameters, bad signatures, stale dates).
Env: TARGET_URL, ADMIN_KEY, ADMIN_SECRET. Used by tests/aws_endpoint.rs against the
sandbox and moto.
"""

import datetime
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

URL = os.environ["TARGET_URL"].rstrip("/") + "/"
ADMIN = (os.environ["ADMIN_KEY"], os.environ["ADMIN_SECRET"])
VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15", "ec2": "2016-11-15"}
LAB_POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*"],"Resource":["*"]}]}'
REGIONS_ONLY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeRegions","Resource":"*"}]}'


class StaleSigner(SigV4Auth):
    """Signs as if the clock were 20 minutes behind."""

    def _modify_request_before_signing(self, request):
        super()._modify_request_before_signing(request)
        stale = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
        request.context["timestamp"] = stale.strftime("%Y%m%dT%H%M%SZ")
        request.headers.replace_header("X-Amz-Date", request.context["timestamp"])


def send(service, action, params=None, creds=ADMIN, sign=True, stale=False, get=False, token=None):
    body = {"Action": action, "Version": VERSIONS[service], **(params or {})}
    if get:
        # Parameters in the URL query, with a space and a slash to exercise the encoding.
        query = urllib.parse.urlencode({**body, "Note": "a b/c"}, quote_via=urllib.parse.quote)
        request = AWSRequest(method="GET", url=URL + "?" + query)
    else:
        request = AWSRequest(
            method="POST",
            url=URL,
            data=urllib.parse.urlencode(body),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
    if sign:
        signer = StaleSigner if stale else SigV4Auth
        signer(Credentials(*creds, token), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    data = prepared.body.encode() if prepared.body else None
    http = urllib.request.Request(prepared.url, data=data, method=prepared.method, headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(http) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    code = re.search(r"<Code>(.*?)</Code>", text)
    message = re.search(r"<Message>(.*?)</Message>", text, re.S)
    return {"status": status, "code": code and code.group(1), "message": message and message.group(1), "body": text}


def result(response):
    return {k: response[k] for k in ("status", "code", "message")}


def keys_of(response):
    return (
        re.search(r"<AccessKeyId>(.*?)</AccessKeyId>", response["body"]).group(1),
        re.search(r"<SecretAccessKey>(.*?)</SecretAccessKey>", response["body"]).group(1),
    )


out = {}
wrong = (ADMIN[0], "not-the-secret")
unknown = ("AKIAUNKNOWNUNKNOWN22", "x")
for service, action in (("iam", "ListUsers"), ("sts", "GetCallerIdentity"), ("ec2", "DescribeInstances")):
    out[f"{service}_unsigned"] = result(send(service, action, sign=False))
    out[f"{service}_wrong_secret"] = result(send(service, action, creds=wrong))
    out[f"{service}_unknown_key"] = result(send(service, action, creds=unknown))
    out[f"{service}_stale_date"] = result(send(service, action, stale=True))
out["sts_get_with_query"] = result(send("sts", "GetCallerIdentity", get=True))
out["ec2_get_with_query"] = result(send("ec2", "DescribeRegions", {"RegionName.1": "us-east-1"}, get=True))
out["ec2_dry_run"] = result(send("ec2", "DescribeInstances", {"DryRun": "true"}))
out["sts_session_token_with_user_key"] = result(send("sts", "GetCallerIdentity", token="not-a-session-token"))
out["iam_unknown_action"] = result(send("iam", "Frobnicate"))
out["ec2_unknown_action"] = result(send("ec2", "Frobnicate"))
out["iam_missing_user_name"] = result(send("iam", "DeleteUser"))
out["iam_no_such_user"] = result(send("iam", "GetUser", {"UserName": "nobody"}))
out["iam_invalid_user_name"] = result(send("iam", "CreateUser", {"UserName": "bad name!"}))

send("iam", "CreateUser", {"UserName": "probe"})
out["iam_user_exists"] = result(send("iam", "CreateUser", {"UserName": "probe"}))
out["iam_malformed_policy"] = result(
    send("iam", "PutUserPolicy", {"UserName": "probe", "PolicyName": "p", "PolicyDocument": "not json"})
)
out["iam_unknown_managed_policy"] = result(
    send("iam", "AttachUserPolicy", {"UserName": "probe", "PolicyArn": "arn:aws:iam::aws:policy/Nope"})
)
send("iam", "PutUserPolicy", {"UserName": "probe", "PolicyName": "p", "PolicyDocument": REGIONS_ONLY})
probe_keys = keys_of(send("iam", "CreateAccessKey", {"UserName": "probe"}))
send("iam", "CreateAccessKey", {"UserName": "probe"})
out["iam_key_quota"] = result(send("iam", "CreateAccessKey", {"UserName": "probe"}))
out["iam_delete_user_with_policy"] = result(send("iam", "DeleteUser", {"UserName": "probe"}))
out["ec2_allowed_action"] = result(send("ec2", "DescribeRegions", creds=probe_keys))
out["ec2_not_allowed_action"] = result(send("ec2", "DescribeInstances", creds=probe_keys))
out["iam_not_allowed_action"] = result(send("iam", "ListUsers", creds=probe_keys))
out["sts_always_allowed"] = result(send("sts", "GetCallerIdentity", creds=probe_keys))
send("iam", "DeleteAccessKey", {"UserName": "probe", "AccessKeyId": probe_keys[0]})
out["ec2_deleted_key"] = result(send("ec2", "DescribeInstances", creds=probe_keys))
out["sts_deleted_key"] = result(send("sts", "GetCallerIdentity", creds=probe_keys))
print(json.dumps(out, indent=1, sort_keys=True))
