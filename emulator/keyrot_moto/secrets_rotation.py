"""RotateSecret: Secrets Manager's bookkeeping half of rotation, without a Lambda.

In AWS, RotateSecret turns rotation on, records the new version (id = ClientRequestToken) labelled
AWSPENDING with no value yet, and invokes the rotation function's four steps; the rotation is
complete when the function moves AWSCURRENT onto that version, and LastRotatedDate is set then.
moto can't run the function without Docker, and without a Lambda ARN it makes the value-less
version AWSCURRENT. Here RotateSecret does the bookkeeping only and never invokes anything; the
caller drives the four steps, so a rotation function sees what it would see in AWS:

- the secret must exist (ResourceNotFoundException) and not be scheduled for deletion
  (InvalidRequestException);
- AWSPENDING on a version other than AWSCURRENT's means a rotation is in progress: the same
  ClientRequestToken resumes it (the documented retry: no new version, same VersionId); any other
  call is InvalidRequestException ("A previous rotation isn't complete...");
- otherwise, with RotateImmediately (the default), a value-less version with id ClientRequestToken
  (or a new UUID) is recorded as AWSPENDING, the label leaving any other version; with
  RotateImmediately=false no version is left behind (AWS only tests the configuration);
- in both cases RotationEnabled becomes true, RotationLambdaARN is kept (the previous one when not
  given), RotationRules are stored and NextRotationDate computed (secrets_schedule).
Answer: {ARN, Name, VersionId} (no VersionId when RotateImmediately=false).

Completion (i): when AWSCURRENT moves onto the version that carries AWSPENDING while rotation is
enabled (UpdateSecretVersionStage, or PutSecretValue into the placeholder with AWSCURRENT),
LastRotatedDate becomes now and NextRotationDate is computed from it.
"""
import json
import time
from typing import Any

from moto.moto_api._internal import mock_random
from moto.secretsmanager.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    OperationNotPermittedOnReplica,
    SecretNotFoundException,
)
from moto.secretsmanager.models import ReplicaSecret, SecretsManagerBackend

from . import secrets_schedule, secrets_versions
from .secrets_versions import CURRENT, PENDING, version_with


def rotation_completed(secret: Any, version_id: str, had_pending: bool) -> None:
    """AWSCURRENT just moved onto `version_id`; it completes a rotation if that version was pending."""
    if had_pending and secret.rotation_enabled:
        secret.last_rotation_date = int(time.time())
        secrets_schedule.update_next_rotation(secret)


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
    if isinstance(secret, ReplicaSecret):
        raise OperationNotPermittedOnReplica()
    if secret.is_deleted():
        raise InvalidRequestException(
            "You can't perform this operation on the secret because it was marked for deletion."
        )
    if rotation_lambda_arn is not None and len(rotation_lambda_arn) > 2048:
        raise InvalidParameterException("RotationLambdaARN must <= 2048 characters long.")
    if client_request_token is not None:
        self._client_request_token_validator(client_request_token)
    rules = secrets_schedule.validate_rules(rotation_rules)

    pending = version_with(secret, PENDING)
    in_progress = pending is not None and pending != version_with(secret, CURRENT)
    if in_progress and client_request_token != pending:
        raise InvalidRequestException("A previous rotation isn't complete. That rotation will be reattempted.")
    version_id = pending if in_progress else None
    if rotate_immediately and not in_progress:
        version_id = client_request_token or str(mock_random.uuid4())
        if version_id in secret.versions:
            raise InvalidRequestException(
                f"You can't use ClientRequestToken {version_id} because that value is already in use "
                f"for a version of secret {secret.arn}."
            )
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
    secrets_schedule.store_rules(secret, rules)
    secrets_schedule.update_next_rotation(secret)
    body: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
    if version_id is not None:
        body["VersionId"] = version_id
    return json.dumps(body)


def install() -> None:
    SecretsManagerBackend.rotate_secret = rotate_secret  # type: ignore[method-assign]
    secrets_versions.install(on_current_moved=rotation_completed)
