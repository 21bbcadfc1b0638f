"""The KMS key of each replica secret, as AWS handles it.

After the Secrets Manager API reference (ReplicaRegionType.KmsKeyId: "Can be an ARN, Key ID, or
Alias"; ReplicationStatusType: KmsKeyId, Status InSync/Failed/InProgress, StatusMessage) and what
AWS does with a key it can't use in the replica's region: CreateSecret/ReplicateSecretToRegions
still succeed, and that region's replication fails (Status "Failed" with a StatusMessage; no replica
secret is made there), as CloudFormation users reported (cloudformation-coverage-roadmap#1459).
moto 5.2.1 ignores KmsKeyId: every replica says alias/aws/secretsmanager and is made whatever key
was asked for.

- A replica records the KmsKeyId it was asked for (alias/aws/secretsmanager when none was):
  ReplicationStatus[].KmsKeyId on the primary, KmsKeyId on the replica's own DescribeSecret.
- A KmsKeyId that names no enabled key in the replica's region (a key id, key ARN, alias name or alias
  ARN, resolved by that region's KMS) fails that region's replication. The StatusMessage's wording is
  this emulator's (AWS's is not documented); it names the key and the region.
- Also fixed while here: moto's "already exists" failure named every secret "simple".
"""
from typing import Any

from moto.kms.models import kms_backends
from moto.secretsmanager.exceptions import InvalidParameterException
from moto.secretsmanager.models import (
    FakeSecret,
    ReplicaSecret,
    SecretsManagerBackend,
    secretsmanager_backends,
)

DEFAULT_KEY = SecretsManagerBackend.DEFAULT_KMS_KEY_ALIAS


def _key_problem(account_id: str, region: str, key_id: str) -> str | None:
    """Why the replica region's KMS can't encrypt with key_id, or None."""
    if key_id == DEFAULT_KEY:
        return None
    kms = kms_backends[account_id][region]
    try:
        key = kms.keys.get(kms.any_id_to_key_id(key_id))
    except Exception:  # an alias that names nothing resolves to None, which moto then fails on
        key = None
    if key is None:
        return f"Replication failed: the KMS key {key_id} was not found in {region}."
    if key.key_state != "Enabled":
        return f"Replication failed: the KMS key {key_id} in {region} is {key.key_state}."
    return None


def _create_replicas(
    self: FakeSecret, replica_regions: list[dict[str, str]], force_overwrite: bool
) -> list[ReplicaSecret]:
    # Validated first, before anything is made (as moto does).
    for replica_config in replica_regions or []:
        if replica_config["Region"] == self.region:
            raise InvalidParameterException("Invalid replica region.")
    replicas: list[ReplicaSecret] = []
    for replica_config in replica_regions or []:
        region = replica_config["Region"]
        key_id = replica_config.get("KmsKeyId") or DEFAULT_KEY
        backend = secretsmanager_backends[self.account_id][region]
        problem = _key_problem(self.account_id, region, key_id)
        if problem is not None:
            replica = ReplicaSecret(self, region, "Failed", problem)
        elif self.name in backend.secrets and not force_overwrite:
            message = f"Replication failed: Secret name {self.name} already exists in region {region}."
            replica = ReplicaSecret(self, region, "Failed", message)
        else:
            if self.name in backend.secrets:
                backend.secrets.pop(self.name)
            replica = ReplicaSecret(self, region)
            backend.secrets[replica.arn] = replica
        replica.kms_key_id = key_id  # type: ignore[attr-defined]
        replica.config["KmsKeyId"] = key_id
        replicas.append(replica)
    return replicas


def install() -> None:
    FakeSecret.create_replicas = _create_replicas  # type: ignore[method-assign]

    replica_to_dict = ReplicaSecret.to_dict

    def replica_dict(self: ReplicaSecret) -> dict[str, Any]:
        # moto shows the primary's key on the replica; the replica has its own.
        dct = replica_to_dict(self)
        key_id = getattr(self, "kms_key_id", DEFAULT_KEY)
        if key_id == DEFAULT_KEY:
            dct.pop("KmsKeyId", None)
        else:
            dct["KmsKeyId"] = key_id
        return dct

    ReplicaSecret.to_dict = replica_dict  # type: ignore[method-assign]
