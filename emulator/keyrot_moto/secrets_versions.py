"""Secrets Manager versions and staging labels, as the API reference describes them.

- GetSecretValue of a version without a value (RotateSecret's placeholder), by VersionId or by
  VersionStage (AWSPENDING): ResourceNotFoundException, as AWS answers for a version with no value.
- GetSecretValue without VersionId and VersionStage reads the version labelled AWSCURRENT (moto
  reads a remembered "default" version, which can be the old one after UpdateSecretVersionStage).
- PutSecretValue with a ClientRequestToken naming an existing version:
  - a placeholder without a value: the value is stored in that version, and the requested
    VersionStages (default AWSCURRENT) are attached and moved off other versions; moving
    AWSCURRENT makes the version that had it AWSPREVIOUS, as a new version would;
  - a version with the same value: success, nothing changes (an idempotent retry);
  - a version with another value: ResourceExistsException (a version can't be modified; moto
    overwrote an AWSPENDING one).
- ListSecretVersionIds: each version's own CreatedDate (moto answered the time of the call), no
  empty NextToken, and versions without a label only with IncludeDeprecated (as the reference says).
- UpdateSecretVersionStage: moving a label that another version carries needs RemoveFromVersionId
  naming that version (InvalidParameterException otherwise, for every label, not only AWSCURRENT);
  moving a label onto the version that already has it changes nothing. Moving AWSCURRENT onto the
  version carrying AWSPENDING while rotation is enabled completes a rotation (see secrets_rotation).
"""
import json
import threading
import time
from typing import Any

from moto.secretsmanager.exceptions import (
    InvalidParameterException,
    ResourceExistsException,
    ResourceNotFoundException,
)
from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend
from moto.secretsmanager.responses import SecretsManagerResponse

_request_flags = threading.local()

PENDING = "AWSPENDING"
CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"


def has_value(version: dict[str, Any]) -> bool:
    return "secret_string" in version or "secret_binary" in version


def version_with(secret: Any, stage: str) -> str | None:
    """The id of the version that carries `stage`, if any."""
    for version_id, version in secret.versions.items():
        if stage in version["version_stages"]:
            return version_id
    return None


def attach(secret: Any, version_id: str, stage: str) -> None:
    """Attaches `stage` to one version, taking it off any other; AWSCURRENT leaves AWSPREVIOUS behind."""
    stages = secret.versions[version_id]["version_stages"]
    if stage in stages:
        return
    holder = version_with(secret, stage)
    if holder is not None:
        secret.versions[holder]["version_stages"].remove(stage)
        if stage == CURRENT:
            for version in secret.versions.values():
                if PREVIOUS in version["version_stages"]:
                    version["version_stages"].remove(PREVIOUS)
            secret.versions[holder]["version_stages"].append(PREVIOUS)
    if stage == CURRENT and PREVIOUS in stages:
        stages.remove(PREVIOUS)
    stages.append(stage)
    if stage == CURRENT:
        secret.set_default_version_id(version_id)


def install(on_current_moved: Any) -> None:
    """`on_current_moved(secret, version_id, had_pending)` runs after AWSCURRENT moves to a version."""
    original_get = SecretsManagerBackend.get_secret_value
    original_put = SecretsManagerBackend.put_secret_value
    original_stage = SecretsManagerBackend.update_secret_version_stage

    def get_secret_value(self: SecretsManagerBackend, secret_id: str, version_id: str, version_stage: str) -> Any:
        if self._is_valid_identifier(secret_id) and not self.secrets[secret_id].is_deleted():
            secret = self.secrets[secret_id]
            if not version_id and not version_stage:
                version_stage = CURRENT
            chosen = version_id or version_with(secret, version_stage)
            version = secret.versions.get(chosen) if chosen else None
            if version is not None and not has_value(version):
                label = f"VersionId: {version_id}" if version_id else f"staging label: {version_stage}"
                raise ResourceNotFoundException(f"Secrets Manager can't find the specified secret value for {label}")
        return original_get(self, secret_id, version_id, version_stage)

    def put_secret_value(
        self: SecretsManagerBackend,
        secret_id: str,
        secret_string: str,
        secret_binary: str,
        client_request_token: str,
        version_stages: list[str],
    ) -> str:
        secret = self.secrets.get(secret_id) if client_request_token else None
        existing = secret.versions.get(client_request_token) if isinstance(secret, FakeSecret) else None
        if secret is None or existing is None:
            return original_put(self, secret_id, secret_string, secret_binary, client_request_token, version_stages)
        if has_value(existing):
            if existing.get("secret_string") == secret_string and existing.get("secret_binary") == secret_binary:
                return secret.to_short_dict(include_version_stages=True, version_id=client_request_token)
            raise ResourceExistsException(
                "You can't modify an existing version, you can only create a new version. "
                f"ClientRequestToken {client_request_token} is already in use for a version of secret {secret.arn}."
            )
        # The placeholder RotateSecret recorded: this call gives it its value.
        if secret_string is not None:
            existing["secret_string"] = secret_string
        if secret_binary is not None:
            existing["secret_binary"] = secret_binary
        had_pending = PENDING in existing["version_stages"]
        for stage in version_stages or [CURRENT]:
            attach(secret, client_request_token, stage)
        secret.last_changed_date = int(time.time())
        if CURRENT in (version_stages or [CURRENT]):
            on_current_moved(secret, client_request_token, had_pending)
        return secret.to_short_dict(include_version_stages=True, version_id=client_request_token)

    def update_secret_version_stage(
        self: SecretsManagerBackend,
        secret_id: str,
        version_stage: str,
        remove_from_version_id: str,
        move_to_version_id: str,
    ) -> Any:
        secret = self.secrets.get(secret_id)
        had_pending = False
        if secret is not None and move_to_version_id and move_to_version_id in secret.versions:
            stages = secret.versions[move_to_version_id]["version_stages"]
            if version_stage in stages and remove_from_version_id in (None, "", move_to_version_id):
                return secret.arn, secret.name  # already there
            holder = version_with(secret, version_stage)
            if holder not in (None, move_to_version_id) and not remove_from_version_id:
                raise InvalidParameterException(
                    f"The parameter RemoveFromVersionId can't be empty. Staging label {version_stage} is "
                    f"currently attached to version {holder}, so you must explicitly reference that version "
                    "in RemoveFromVersionId."
                )
            had_pending = PENDING in stages
        result = original_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
        if version_stage == CURRENT and move_to_version_id and secret is not None:
            secret.set_default_version_id(move_to_version_id)
            on_current_moved(secret, move_to_version_id, had_pending)
        return result

    def list_secret_version_ids(self: SecretsManagerBackend, secret_id: str) -> str:
        if not self._is_valid_identifier(secret_id):
            from moto.secretsmanager.exceptions import SecretNotFoundException

            raise SecretNotFoundException()
        secret = self.secrets[secret_id]
        include_deprecated = getattr(_request_flags, "include_deprecated", False)
        versions = [
            {
                "CreatedDate": version.get("createdate"),
                "VersionId": version_id,
                "VersionStages": list(version["version_stages"]),
            }
            for version_id, version in secret.versions.items()
            if version["version_stages"] or include_deprecated
        ]
        return json.dumps({"ARN": secret.arn, "Name": secret.name, "Versions": versions})

    original_list_response = SecretsManagerResponse.list_secret_version_ids

    def list_secret_version_ids_response(self: SecretsManagerResponse) -> str:
        _request_flags.include_deprecated = bool(self._get_param("IncludeDeprecated"))
        try:
            return original_list_response(self)
        finally:
            _request_flags.include_deprecated = False

    SecretsManagerBackend.list_secret_version_ids = list_secret_version_ids  # type: ignore[method-assign]
    SecretsManagerResponse.list_secret_version_ids = list_secret_version_ids_response  # type: ignore[method-assign]
    SecretsManagerBackend.get_secret_value = get_secret_value  # type: ignore[method-assign]
    SecretsManagerBackend.put_secret_value = put_secret_value  # type: ignore[method-assign]
    SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage  # type: ignore[method-assign]
