"""Secrets Manager replication as AWS runs it: asynchronously.

After the Secrets Manager user guide ("Replicate secrets across Regions": "Secrets Manager rotates
the secret in the primary Region, and the new secret value propagates to all of the associated
replica secrets") and the API reference (ReplicationStatusType: InSync, Failed, InProgress):

- A replica (CreateSecret with AddReplicaRegions, ReplicateSecretToRegions) shows the primary's
  versions, values and staging labels as they were KEYROT_REPLICATION_DELAY_SECONDS ago (default 1,
  real seconds: replication takes wall-clock time whatever a simulated calendar says). moto's
  replica is a live view of the primary: a consumer in the replica's region would read a new
  AWSCURRENT at the same instant the primary moved it, which no AWS client can rely on.
- What a replica shows at its creation is the primary as it was then.
- While a change has not reached a replica, the primary's ReplicationStatus says InProgress for it.
- Writes to a replica stay refused, as moto already answers (InvalidParameterException: "Operation
  not permitted on a replica secret").
- A primary with replicas names its own region as PrimaryRegion in DescribeSecret and ListSecrets,
  as a replica names its primary's (the API reference: "The Region the secret is in"; the AWS CLI's
  describe-secret example shows it on a replicated primary). moto sets it on replicas only. A secret
  never replicated keeps moto's answer, without it: keyrot reads no PrimaryRegion as "this region".
Tags, description and resource policy stay moto's live view: keyrot reads them in the primary region.
"""
import copy
import os
import threading
import time
from typing import Any

from moto.secretsmanager.models import FakeSecret, ReplicaSecret, SecretsManagerBackend

_lock = threading.Lock()
# Per primary secret ARN: (since, versions, default version id), oldest first.
_history: dict[str, list[tuple[float, dict[str, Any], str | None]]] = {}


def delay_seconds() -> float:
    return float(os.environ.get("KEYROT_REPLICATION_DELAY_SECONDS", "1"))


def _state(source: FakeSecret) -> tuple[dict[str, Any], str | None]:
    return copy.deepcopy(source.versions), source.default_version_id


def _observe(source: FakeSecret) -> list[tuple[float, dict[str, Any], str | None]]:
    """Records the primary's state when it differs from the last one recorded."""
    versions, default = _state(source)
    with _lock:
        history = _history.setdefault(source.arn, [])
        if not history:
            # The replica starts as the primary was when it was made.
            history.append((float("-inf"), versions, default))
        elif history[-1][1] != versions or history[-1][2] != default:
            history.append((time.monotonic(), versions, default))
        return history


def _visible(source: FakeSecret) -> tuple[dict[str, Any], str | None]:
    history = _observe(source)
    cutoff = time.monotonic() - delay_seconds()
    with _lock:
        shown = max(i for i, (since, _, _) in enumerate(history) if since <= cutoff)
        del history[:shown]
        _, versions, default = history[0]
        return versions, default


def _lagging(source: FakeSecret) -> bool:
    history = _observe(source)
    return history[-1][0] > time.monotonic() - delay_seconds()


def _replica_versions(self: ReplicaSecret) -> dict[str, Any]:
    return _visible(self.source)[0]


def _replica_default(self: ReplicaSecret) -> str | None:
    return _visible(self.source)[1]


def install() -> None:
    ReplicaSecret.versions = property(_replica_versions)  # type: ignore[assignment,method-assign]
    ReplicaSecret.default_version_id = property(_replica_default)  # type: ignore[assignment,method-assign]

    replica_to_dict = ReplicaSecret.to_dict

    def replica_dict(self: ReplicaSecret) -> dict[str, Any]:
        dct = replica_to_dict(self)
        stages = {vid: list(v["version_stages"]) for vid, v in _visible(self.source)[0].items()}
        if "VersionIdsToStages" in dct:
            dct["VersionIdsToStages"] = stages
            dct["SecretVersionsToStages"] = stages
        return dct

    ReplicaSecret.to_dict = replica_dict  # type: ignore[method-assign]

    primary_to_dict = FakeSecret.to_dict

    def primary_dict(self: FakeSecret) -> dict[str, Any]:
        dct = primary_to_dict(self)
        if self.replicas:
            dct["PrimaryRegion"] = self.region
        if self.replicas and _lagging(self):
            dct["ReplicationStatus"] = [
                {**status, "Status": "InProgress"} if status.get("Status") == "InSync" else status
                for status in dct.get("ReplicationStatus", [])
            ]
        return dct

    FakeSecret.to_dict = primary_dict  # type: ignore[method-assign]

    # Every write to a primary with replicas starts its replication now, not at the next read.
    for name in (
        "create_secret",
        "put_secret_value",
        "update_secret_version_stage",
        "rotate_secret",
        "replicate_secret_to_regions",
    ):
        _after_write(name)


def _after_write(name: str) -> None:
    original = getattr(SecretsManagerBackend, name)

    def write(self: SecretsManagerBackend, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        secret_id = kwargs.get("secret_id", kwargs.get("name", args[0] if args else None))
        secret = self.secrets.get(secret_id) if isinstance(secret_id, str) else None
        if isinstance(secret, FakeSecret) and secret.replicas:
            _observe(secret)
        return result

    setattr(SecretsManagerBackend, name, write)


def reset() -> None:
    with _lock:
        _history.clear()
