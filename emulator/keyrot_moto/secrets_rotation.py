"""Secrets Manager's half of rotation, without a Lambda.

In AWS, RotateSecret records the new version as AWSPENDING with no value, turns rotation on, and
invokes the rotation function's four steps; LastRotatedDate is set when the rotation finishes.
moto can't run the function without Docker (and without one it makes a value-less version
AWSCURRENT). Here RotateSecret does the bookkeeping only; the caller drives the four steps.

Also fixed, as AWS does it:
- GetSecretValue of a version without a value: ResourceNotFoundException.
- PutSecretValue with the token of an existing version: fills a value-less placeholder, is a no-op
  for the same value, and fails for a different one (a version can't be modified).
- UpdateSecretVersionStage moving AWSCURRENT: the version GetSecretValue returns by default moves
  too, and moving it onto the pending version completes the rotation (LastRotatedDate).
"""
import json
import time
import uuid
from typing import Any

from moto.secretsmanager.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceExistsException,
    ResourceNotFoundException,
    SecretNotFoundException,
)
from moto.secretsmanager.models import SecretsManagerBackend

PENDING = "AWSPENDING"
CURRENT = "AWSCURRENT"
DAY = 86_400


def _has_value(version: dict[str, Any]) -> bool:
    return "secret_string" in version or "secret_binary" in version


def _stage_version(secret: Any, stage: str) -> str | None:
    for version_id, version in secret.versions.items():
        if stage in version["version_stages"]:
            return version_id
    return None


def install() -> None:
    original_get = SecretsManagerBackend.get_secret_value
    original_put = SecretsManagerBackend.put_secret_value
    original_stage = SecretsManagerBackend.update_secret_version_stage

    def rotate_secret(
        self: SecretsManagerBackend,
        secret_id: str,
        client_request_token: str | None = None,
        rotation_lambda_arn: str | None = None,
        rotation_rules: dict[str, Any] | None = None,
        rotate_immediately: bool = True,
    ) -> str:
        if not self._is_valid_identifier(secret_id):
            raise SecretNotFoundException()
        secret = self.secrets[secret_id]
        if secret.is_deleted():
            raise InvalidRequestException(
                "You can't perform this operation on the secret because it was marked for deletion."
            )
        if rotation_lambda_arn is not None and len(rotation_lambda_arn) > 2048:
            raise InvalidParameterException("RotationLambdaARN must <= 2048 characters long.")
        days = (rotation_rules or {}).get("AutomaticallyAfterDays")
        if days is not None and not 1 <= int(days) <= 1000:
            raise InvalidParameterException("RotationRules.AutomaticallyAfterDays must be within 1-1000.")
        if client_request_token is not None and not 32 <= len(client_request_token) <= 64:
            raise InvalidParameterException("ClientRequestToken must be 32-64 characters long.")

        pending = _stage_version(secret, PENDING)
        current = _stage_version(secret, CURRENT)
        in_progress = pending is not None and pending != current
        version_id = client_request_token
        if in_progress and client_request_token != pending:
            raise InvalidRequestException("A previous rotation isn't complete. That rotation will be reattempted.")
        if rotate_immediately and not in_progress:
            version_id = client_request_token or str(uuid.uuid4())
            if version_id in secret.versions:
                raise InvalidRequestException(f"Version {version_id} already exists on secret {secret.name}.")
            secret.remove_version_stages_from_old_versions([PENDING])
            secret.versions[version_id] = {
                "createdate": int(time.time()),
                "version_id": version_id,
                "version_stages": [PENDING],
            }

        secret.rotation_requested = True
        secret.rotation_enabled = True
        if rotation_lambda_arn:
            secret.rotation_lambda_arn = rotation_lambda_arn
        if days is not None:
            secret.auto_rotate_after_days = int(days)
        if secret.auto_rotate_after_days:
            base = secret.last_rotation_date or int(time.time())
            secret.next_rotation_date = base + secret.auto_rotate_after_days * DAY
        body: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if rotate_immediately:
            body["VersionId"] = version_id
        return json.dumps(body)

    def get_secret_value(self: SecretsManagerBackend, secret_id: str, version_id: str, version_stage: str) -> Any:
        if self._is_valid_identifier(secret_id):
            secret = self.secrets[secret_id]
            chosen = version_id or (_stage_version(secret, version_stage) if version_stage else None)
            version = secret.versions.get(chosen) if chosen else None
            if version is not None and not _has_value(version):
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
        if client_request_token and self._is_valid_identifier(secret_id):
            secret = self.secrets[secret_id]
            existing = secret.versions.get(client_request_token)
            if existing is not None and _has_value(existing):
                if existing.get("secret_string") == secret_string and existing.get("secret_binary") == secret_binary:
                    return secret.to_short_dict(include_version_stages=True, version_id=client_request_token)
                raise ResourceExistsException(
                    f"You can't modify an existing version, you can only create a new version. "
                    f"ClientRequestToken {client_request_token} is already in use for a version of secret {secret.arn}."
                )
        return original_put(self, secret_id, secret_string, secret_binary, client_request_token, version_stages)

    def update_secret_version_stage(
        self: SecretsManagerBackend,
        secret_id: str,
        version_stage: str,
        remove_from_version_id: str,
        move_to_version_id: str,
    ) -> Any:
        completes = False
        if secret_id in self.secrets and version_stage == CURRENT and move_to_version_id:
            secret = self.secrets[secret_id]
            stages = secret.versions.get(move_to_version_id, {}).get("version_stages", [])
            completes = secret.rotation_enabled and PENDING in stages
        result = original_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
        if version_stage == CURRENT and move_to_version_id:
            secret = self.secrets[secret_id]
            secret.set_default_version_id(move_to_version_id)
            if completes:
                secret.last_rotation_date = int(time.time())
                if secret.auto_rotate_after_days:
                    secret.next_rotation_date = secret.last_rotation_date + secret.auto_rotate_after_days * DAY
        return result

    SecretsManagerBackend.rotate_secret = rotate_secret  # type: ignore[method-assign]
    SecretsManagerBackend.get_secret_value = get_secret_value  # type: ignore[method-assign]
    SecretsManagerBackend.put_secret_value = put_secret_value  # type: ignore[method-assign]
    SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage  # type: ignore[method-assign]
