"""The lab through hvac (a Vault client nobody here wrote), as JSON outcomes.

Usage: hvac_client.py VAULT_ADDR VAULT_TOKEN IAM_ENDPOINT ROOT_ACCESS_KEY ROOT_SECRET_KEY

Enables the AWS engine with mount TTLs, tunes them, configures it, issues credentials,
revokes their lease the way hvac does it (no `sync`), and rotates the root key. The test
that runs this checks what AWS shows after each step; here each step records what hvac
returned, or the error it raised.
"""

import json
import sys

import boto3
import hvac

addr, token, iam_endpoint, access_key, secret_key = sys.argv[1:6]
client = hvac.Client(url=addr, token=token)
POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}],
})
steps = {}


def step(name, call):
    try:
        result = call()
        if hasattr(result, "status_code"):
            result = {"status": result.status_code, "body": result.text}
        steps[name] = {"outcome": "ok", "result": result}
    except hvac.exceptions.VaultError as e:
        steps[name] = {"outcome": "error", "type": type(e).__name__, "errors": e.errors}
    return steps[name].get("result")


step("is_initialized", lambda: client.sys.is_initialized())
step("enable", lambda: client.sys.enable_secrets_engine(
    backend_type="aws", path="aws",
    config={"default_lease_ttl": "1h", "max_lease_ttl": "2h"}))
step("tune_read_after_enable", lambda: client.sys.read_mount_configuration("aws")["data"])
step("tune", lambda: client.sys.tune_mount_configuration(
    "aws", default_lease_ttl="30m", max_lease_ttl="1h"))
step("tune_read", lambda: client.sys.read_mount_configuration("aws")["data"])
step("mounts", lambda: client.sys.list_mounted_secrets_engines()["data"]["aws/"]["config"])
step("config_root", lambda: client.secrets.aws.configure_root_iam_credentials(
    access_key=access_key, secret_key=secret_key, region="us-east-1",
    iam_endpoint=iam_endpoint, sts_endpoint=iam_endpoint))
step("role", lambda: client.secrets.aws.create_or_update_role(
    name="my-role", credential_type="iam_user", policy_document=POLICY))
creds = step("creds", lambda: client.secrets.aws.generate_credentials(name="my-role"))
if creds:
    steps["creds"]["result"] = {
        "lease_id": creds["lease_id"], "lease_duration": creds["lease_duration"],
        "renewable": creds["renewable"],
    }
    step("renew", lambda: {k: v for k, v in client.sys.renew_lease(
        lease_id=creds["lease_id"], increment=7200).items()
        if k in ("lease_id", "lease_duration", "warnings")})
    step("revoke_lease", lambda: client.sys.revoke_lease(lease_id=creds["lease_id"]))
    # Right after revoke_lease returns: is the lease's IAM user gone?
    iam = boto3.client("iam", endpoint_url=iam_endpoint, region_name="us-east-1",
                       aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    step("users_after_revoke", lambda: [u["UserName"] for u in iam.list_users()["Users"]
                                        if u["UserName"].startswith("vault-")])
step("rotate_root", lambda: client.secrets.aws.rotate_root_iam_credentials()["data"])
step("no_such_path", lambda: client.adapter.get("/v1/sys/nope"))
step("not_implemented", lambda: client.adapter.get("/v1/sys/auth"))
print(json.dumps(steps, indent=1))
