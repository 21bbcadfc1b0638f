"""What IAM consults for a call, read in one hop: the emulator's IAM gateway (emulator/iam/) asks here.

The gateway in front of each Lambda container authorizes the function's calls as IAM does, with the
policies AWS would consult: the execution role's identity policies (inline and attached managed ones,
as IAM's GetRolePolicy and GetPolicyVersion give them), a secret's resource policy, its customer
managed key and that key's policy. Reading them through the public APIs would take a dozen calls per
decision; this test-only route answers them from moto's backends at once. It changes nothing.

GET /_keyrot/iam/context?region=R&role=ROLE_ARN[&secret=ID][&key=ID] (account: x-moto-account-id); without
`key`, the secret's own key (its KmsKeyId) is answered
-> {"role": {"policies": [{"name", "policy"}]} | null,
    "secret": {"arn", "kmsKeyId", "resourcePolicy", "tags", "rotationLambdaArn"} | null,
    "key": {"arn", "policy"} | null}
"""
import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlparse

ROUTE = "{0}/_keyrot/iam/context$"


def role_policies(account: str, role_arn: str) -> dict[str, Any] | None:
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    name = role_arn.split("/")[-1]
    try:
        role = backend.get_role(name)
    except Exception:  # noqa: BLE001 - moto's NoSuchEntity: a role that is gone grants nothing
        return None
    policies = [{"name": n, "policy": _document(d)} for n, d in role.policies.items()]
    for arn, managed in role.managed_policies.items():
        version = next((v for v in managed.versions if v.version_id == managed.default_version_id), None)
        if version is not None:
            policies.append({"name": arn, "policy": _document(version.document)})
    return {"policies": policies}


def _document(document: Any) -> Any:
    if isinstance(document, str):
        return json.loads(document)
    return document


def _secret(account: str, region: str, secret_id: str) -> dict[str, Any] | None:
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends[account][region]
    try:
        secret = backend.describe_secret(secret_id)
    except Exception:  # noqa: BLE001 - not found: the call goes on to moto, which answers it
        return None
    return {
        "arn": secret.arn,
        "kmsKeyId": getattr(secret, "kms_key_id", None),
        "resourcePolicy": _document(secret.policy) if getattr(secret, "policy", None) else None,
        "tags": {t["Key"]: t["Value"] for t in (getattr(secret, "tags", None) or [])},
        "rotationLambdaArn": getattr(secret, "rotation_lambda_arn", None),
    }


def _key(account: str, region: str, key_id: str) -> dict[str, Any] | None:
    from moto.kms.models import kms_backends

    try:
        key = kms_backends[account][region].describe_key(key_id)
    except Exception:  # noqa: BLE001 - an unknown key: Secrets Manager fails the call itself
        return None
    return {"arn": key.arn, "policy": _document(key.policy)}


def context_route(request: Any, full_url: str, headers: Any) -> Any:
    from .common import apigateway_request, json_response

    account = apigateway_request(request, full_url, headers).current_account
    query = {k: v[0] for k, v in parse_qs(urlparse(full_url).query).items()}
    region = query.get("region", "us-east-1")
    secret = _secret(account, region, query["secret"]) if "secret" in query else None
    # The secret's own key when none is named: what Secrets Manager uses for its caller.
    key_id = query.get("key") or (secret or {}).get("kmsKeyId")
    return json_response(
        {
            "role": role_policies(account, query["role"]) if "role" in query else None,
            "secret": secret,
            "key": _key(account, region, key_id) if key_id else None,
        }
    )


# Changes to what the gateway consults, counted: a container keeps what it read across invocations
# until a count moves (each invocation carries them, lambda_runtime.py), and reads it again then. Within
# an invocation it reads once, as IAM's own changes take seconds to apply. Tags have a count of their own:
# they matter only to policies that condition on them, and keyrot tags its secrets at every rotation.
_counts = {"policies": 0, "tags": 0}
_counts_lock = threading.Lock()

CHANGES = {
    "moto.iam.models:IAMBackend": {
        "put_role_policy": "policies",
        "delete_role_policy": "policies",
        "attach_role_policy": "policies",
        "detach_role_policy": "policies",
        "create_policy_version": "policies",
        "delete_policy_version": "policies",
        "set_default_policy_version": "policies",
    },
    "moto.secretsmanager.models:SecretsManagerBackend": {
        "create_secret": "policies",
        "update_secret": "policies",
        "delete_secret": "policies",
        "restore_secret": "policies",
        "put_resource_policy": "policies",
        "delete_resource_policy": "policies",
        "tag_resource": "tags",
        "untag_resource": "tags",
    },
    "moto.kms.models:KmsBackend": {"put_key_policy": "policies"},
}


def generation() -> list[int]:
    """[policy changes, tag changes] so far."""
    return [_counts["policies"], _counts["tags"]]


def _counted(method: Any, kind: str) -> Any:
    def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        finally:
            with _counts_lock:
                _counts[kind] += 1

    return counted


def install() -> None:
    import importlib

    from moto.apigateway import urls

    urls.url_paths[ROUTE] = context_route
    for where, methods in CHANGES.items():
        module, name = where.split(":")
        cls = getattr(importlib.import_module(module), name)
        for method, kind in methods.items():
            setattr(cls, method, _counted(getattr(cls, method), kind))
