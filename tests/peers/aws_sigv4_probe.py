"""Sends SigV4 requests no SDK would send to an AWS-compatible endpoint and prints, as JSON,
what came back for each: {"probe": {"status", "code", "message"}}.

Signed with botocore's SigV4Auth, then (for some) tampered with the way an attacker who
captured the request would: the body swapped under a signature that names its hash in
X-Amz-Content-SHA256, or an UNSIGNED-PAYLOAD signature; and scopes naming another service
or region. Env: TARGET_URL, ADMIN_KEY, ADMIN_SECRET. Used by the sandbox's sigv4 tests.
"""

import hashlib
import html
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
ADMIN = Credentials(os.environ["ADMIN_KEY"], os.environ["ADMIN_SECRET"])
VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15", "ec2": "2016-11-15"}
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def form(service, action, params=None):
    return urllib.parse.urlencode({"Action": action, "Version": VERSIONS[service], **(params or {})})


def signed(body, scope_service, region="us-east-1", payload_header=None):
    """A POST of `body`, signed for `scope_service` in `region`; with `payload_header`,
    X-Amz-Content-SHA256 is sent (and signed, and used by botocore as the payload hash)."""
    headers = {"Content-Type": FORM}
    if payload_header is not None:
        headers["X-Amz-Content-SHA256"] = payload_header
    request = AWSRequest(method="POST", url=URL, data=body, headers=headers)
    SigV4Auth(ADMIN, scope_service, region).add_auth(request)
    return request.prepare()


def send(prepared, body=None):
    """Sends a prepared request, with `body` in place of the one it was signed with."""
    data = (body if body is not None else prepared.body) or ""
    # The length is the new body's, as an attacker would send it; the signature is not.
    headers = {k: v for k, v in prepared.headers.items() if k.lower() != "content-length"}
    http = urllib.request.Request(prepared.url, data=data.encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(http) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    code = re.search(r"<Code>(.*?)</Code>", text)
    message = re.search(r"<Message>(.*?)</Message>", text, re.S)
    message = message and html.unescape(message.group(1))
    return {"status": status, "code": code and code.group(1), "message": message}


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


out = {}
listed = form("iam", "ListUsers")
# A captured ListUsers, its payload hash in a signed header, replayed with another body.
out["iam_replayed_body"] = send(
    signed(listed, "iam", payload_header=sha256(listed)),
    body=form("iam", "CreateUser", {"UserName": "replayed"}),
)
# UNSIGNED-PAYLOAD: S3's way of signing without the body.
out["iam_unsigned_payload"] = send(
    signed(listed, "iam", payload_header="UNSIGNED-PAYLOAD"),
    body=form("iam", "CreateUser", {"UserName": "unsigned"}),
)
# An honest client may send the header with the body's real hash: that is fine.
out["iam_payload_hash_header_matching"] = send(signed(listed, "iam", payload_header=sha256(listed)))
out["iam_replayed_user_exists"] = send(signed(form("iam", "GetUser", {"UserName": "replayed"}), "iam"))
out["iam_unsigned_user_exists"] = send(signed(form("iam", "GetUser", {"UserName": "unsigned"}), "iam"))

describe = form("ec2", "DescribeInstances")
for service in ("s3", "lambda", "iam"):
    out[f"ec2_scoped_to_{service}"] = send(signed(describe, service))
out["ec2_scoped_to_no_region"] = send(signed(describe, "ec2", region=""))
out["ec2_scoped_to_eu_west_1"] = send(signed(describe, "ec2", region="eu-west-1"))
out["ec2_scoped_to_af_south_1"] = send(signed(describe, "ec2", region="af-south-1"))
out["ec2_scoped_to_moon_1"] = send(signed(describe, "ec2", region="moon-1"))
out["iam_scoped_to_ec2"] = send(signed(listed, "ec2"))
out["iam_scoped_to_us_west_2"] = send(signed(listed, "iam", region="us-west-2"))
identity = form("sts", "GetCallerIdentity")
out["sts_scoped_to_eu_west_1"] = send(signed(identity, "sts", region="eu-west-1"))
out["sts_scoped_to_moon_1"] = send(signed(identity, "sts", region="moon-1"))
out["sts_scoped_to_iam"] = send(signed(identity, "iam"))
print(json.dumps(out, indent=1, sort_keys=True))
