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
- A replica made fails later as AWS's does when its region's key is disabled or deleted after it was
  made: the next change of the primary's versions or stages (a new value, a rotation, a stage moved)
  can't be encrypted there, so that replica turns Failed (the StatusMessage names the key) and keeps
  showing what it had before the change; later changes don't reach it either. moto replicates
  whatever happens to the key.
- Also fixed while here: moto's "already exists" failure named every secret "simple".
"""
import copy
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


# Writes that change what a replica must show: each goes through the replica region's key.
_REPLICATED_WRITES = ("put_secret_value", "update_secret_version_stage", "rotate_secret")


def _shown(replica: ReplicaSecret) -> tuple[dict[str, Any], str | None]:
    return copy.deepcopy(replica.versions), replica.default_version_id


def _fail_where_key_unusable(name: str) -> None:
    original = getattr(SecretsManagerBackend, name)

    def write(self: SecretsManagerBackend, *args: Any, **kwargs: Any) -> Any:
        secret_id = kwargs.get("secret_id", args[0] if args else None)
        secret = self.secrets.get(secret_id) if isinstance(secret_id, str) else None
        live = [r for r in secret.replicas if r.status == "InSync"] if isinstance(secret, FakeSecret) else []
        before = {r.region: _shown(r) for r in live}
        result = original(self, *args, **kwargs)
        for replica in live:
            key_id = getattr(replica, "kms_key_id", DEFAULT_KEY)
            problem = _key_problem(replica.source.account_id, replica.region, key_id)
            if problem is None:
                continue
            replica.frozen = before[replica.region]  # type: ignore[attr-defined]
            replica.status = "Failed"
            replica.message = problem
            replica.config["Status"] = "Failed"
            replica.config["StatusMessage"] = problem
        return result

    setattr(SecretsManagerBackend, name, write)


def install() -> None:
    """After secrets_replication.install(): a failed replica's frozen state wins over its delayed view."""
    FakeSecret.create_replicas = _create_replicas  # type: ignore[method-assign]
    for name in _REPLICATED_WRITES:
        _fail_where_key_unusable(name)

    delayed_versions = ReplicaSecret.__dict__["versions"]
    delayed_default = ReplicaSecret.__dict__["default_version_id"]

    def versions(self: ReplicaSecret) -> dict[str, Any]:
        frozen = getattr(self, "frozen", None)
        return frozen[0] if frozen is not None else delayed_versions.fget(self)

    def default_version_id(self: ReplicaSecret) -> str | None:
        frozen = getattr(self, "frozen", None)
        return frozen[1] if frozen is not None else delayed_default.fget(self)

    ReplicaSecret.versions = property(versions)  # type: ignore[assignment,method-assign]
    ReplicaSecret.default_version_id = property(default_version_id)  # type: ignore[assignment,method-assign]

    replica_to_dict = ReplicaSecret.to_dict

    def replica_dict(self: ReplicaSecret) -> dict[str, Any]:
        # moto shows the primary's key on the replica; the replica has its own.
        dct = replica_to_dict(self)
        frozen = getattr(self, "frozen", None)
        if frozen is not None and "VersionIdsToStages" in dct:
            stages = {vid: list(v["version_stages"]) for vid, v in frozen[0].items()}
            dct["VersionIdsToStages"] = stages
            dct["SecretVersionsToStages"] = stages
        key_id = getattr(self, "kms_key_id", DEFAULT_KEY)
        if key_id == DEFAULT_KEY:
            dct.pop("KmsKeyId", None)
        else:
            dct["KmsKeyId"] = key_id
        return dct

    ReplicaSecret.to_dict = replica_dict  # type: ignore[method-assign]
