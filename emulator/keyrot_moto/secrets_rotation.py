"""RotateSecret as Secrets Manager runs it: it starts a rotation and returns; the rotation function
runs later, out of process, once per step, and is retried; Secrets Manager also rotates on its own
schedule. From the RotateSecret and CancelRotateSecret references and "How rotation works":

RotateSecret (the call)
- the secret must exist (ResourceNotFoundException) and not be scheduled for deletion
  (InvalidRequestException);
- a rotation function is required: RotationLambdaARN on the call or already on the secret, else
  InvalidRequestException; the function must exist in the secret's account and region and let
  secretsmanager.amazonaws.com invoke it (its resource policy), else AccessDeniedException
  ("Secrets Manager cannot invoke the specified Lambda function...");
- AWSPENDING on a version other than AWSCURRENT's means a rotation is in progress: any RotateSecret
  is refused (InvalidRequestException, "A previous rotation isn't complete. That rotation will be
  reattempted."), whatever its ClientRequestToken;
- a ClientRequestToken naming an existing version is refused (the token is the new version's id);
- RotationEnabled becomes true, the function ARN and RotationRules are stored, NextRotationDate is
  computed (secrets_schedule); the answer is {ARN, Name, VersionId}.

The rotation (asynchronous, after the call returned)
- RotateImmediately (default): a value-less version (id = the token, or a new UUID) gets AWSPENDING;
  then the function is invoked with {Step, SecretId (the ARN), ClientRequestToken, RotationToken}
  for createSecret, setSecret, testSecret, finishSecret in order, each after the previous returned.
  A failed step ends the attempt; the whole rotation is retried (KEYROT_ROTATION_ATTEMPTS attempts,
  default 4, KEYROT_ROTATION_RETRY_SECONDS apart, default 2 s) and then left as it is, AWSPENDING in
  place, until a later rotation of the schedule reattempts it.
- RotateImmediately=false: a temporary value-less AWSPENDING version, testSecret only, then the
  version is removed; no version is left behind, the answer has no VersionId.
- The rotation is complete when AWSCURRENT moves onto the version carrying AWSPENDING while rotation
  is enabled: LastRotatedDate becomes now and NextRotationDate follows (secrets_schedule).
- Secrets Manager's own schedule: a secret whose NextRotationDate has come (on its account's clock,
  see clock.py) and that has no rotation in progress is rotated the same way, with a new UUID.

Test-only, not AWS: a RotateSecret carrying the header `x-keyrot-rotation-driver: caller` does the
bookkeeping of the call (and the version) but invokes nothing and needs no deployed function; the
caller drives the four steps itself (keyrot's in-process driver for unit-speed tests).
`GET /_keyrot/rotations` lists the rotations this server ran (secret, token, trigger, steps, errors),
and `{"active": N}` how many are still running, so tests can wait for them.
"""
import fnmatch
import json
import os
import threading
import time
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.apigateway import urls
from moto.moto_api._internal import mock_random
from moto.secretsmanager.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    OperationNotPermittedOnReplica,
    SecretNotFoundException,
)
from moto.secretsmanager.models import ReplicaSecret, SecretsManagerBackend, secretsmanager_backends
from moto.secretsmanager.responses import SecretsManagerResponse

from . import clock, lambda_runtime, secrets_schedule, secrets_versions
from .common import json_response
from .secrets_versions import CURRENT, PENDING, version_with

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
DRIVER_HEADER = "x-keyrot-rotation-driver"
HISTORY_ROUTE = "{0}/_keyrot/rotations$"
HISTORY_KEPT = 2000
_local = threading.local()
_history: list[dict[str, Any]] = []
_history_lock = threading.Lock()
_active = 0
_in_flight: set[tuple[str, str]] = set()


def reset() -> None:
    """Forgets the rotation history (moto's reset). Rotations still running finish against empty backends."""
    with _history_lock:
        _history.clear()


class AccessDeniedException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def rotation_completed(secret: Any, version_id: str, had_pending: bool) -> None:
    """AWSCURRENT just moved onto `version_id`; it completes a rotation if that version was pending."""
    if had_pending and secret.rotation_enabled:
        secret.last_rotation_date = int(time.time())
        secrets_schedule.update_next_rotation(secret)


def _allows(statement: dict[str, Any], secret_arn: str, account_id: str) -> bool:
    """Whether one resource-policy statement lets Secrets Manager invoke the function for this secret."""
    if statement.get("Effect") != "Allow":
        return False
    if "secretsmanager.amazonaws.com" not in json.dumps(statement.get("Principal", "")):
        return False
    if not any(a in json.dumps(statement.get("Action", "")) for a in ("lambda:InvokeFunction", "lambda:*")):
        return False
    context = {"aws:sourcearn": secret_arn, "aws:sourceaccount": account_id}
    for operator, tests in (statement.get("Condition") or {}).items():
        for name, wanted in tests.items():
            have = context.get(name.lower())
            patterns = wanted if isinstance(wanted, list) else [wanted]
            if have is None:
                return False
            if operator in ("ArnLike", "StringLike"):
                if not any(fnmatch.fnmatchcase(have, p) for p in patterns):
                    return False
            elif have not in patterns:
                return False
    return True


def _function_for(backend: SecretsManagerBackend, arn: str, secret_arn: str) -> Any:
    """The rotation function, if Secrets Manager may invoke it for this secret (its resource policy)."""
    fn = lambda_runtime.find_function(backend.account_id, backend.region_name, arn)
    statements = getattr(getattr(fn, "policy", None), "statements", None) or []
    if fn is None or not any(_allows(s, secret_arn, backend.account_id) for s in statements):
        raise AccessDeniedException(
            "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy "
            "grants access to the principal secretsmanager.amazonaws.com."
        )
    return fn


def _record(entry: dict[str, Any]) -> dict[str, Any]:
    with _history_lock:
        _history.append(entry)
        del _history[:-HISTORY_KEPT]
    return entry


def _start(backend: SecretsManagerBackend, secret: Any, token: str, fn: Any, steps: tuple[str, ...], trigger: str) -> None:
    global _active
    key = (secret.arn, token)
    with _history_lock:
        if key in _in_flight:
            return
        _in_flight.add(key)
        _active += 1
    entry = _record(
        {
            "account": backend.account_id,
            "region": backend.region_name,
            "secret": secret.name,
            "token": token,
            "trigger": trigger,
            "steps": [],
            "status": "running",
        }
    )

    def drive() -> None:
        global _active
        try:
            with clock.for_account(backend.account_id):
                _drive(backend, secret, token, fn, steps, entry)
        finally:
            with _history_lock:
                _in_flight.discard(key)
                _active -= 1

    threading.Thread(target=drive, daemon=True, name=f"rotation-{secret.name}").start()


def _drive(backend: SecretsManagerBackend, secret: Any, token: str, fn: Any, steps: tuple[str, ...], entry: dict[str, Any]) -> None:
    attempts = max(1, int(_env_number("KEYROT_ROTATION_ATTEMPTS", 4)))
    pause = _env_number("KEYROT_ROTATION_RETRY_SECONDS", 2.0)
    configuration_test = steps == ("testSecret",)
    for attempt in range(1, attempts + 1):
        failed = False
        for step in steps:
            if secret.is_deleted() or not secret.rotation_enabled:
                entry["status"] = "cancelled"
                return
            event = {
                "Step": step,
                "SecretId": secret.arn,
                "ClientRequestToken": token,
                "RotationToken": str(mock_random.uuid4()),
            }
            result = lambda_runtime.invoke(fn, event)
            entry["steps"].append({"attempt": attempt, "step": step, "ok": result.ok, "error": result.error_message() or None})
            if not result.ok:
                failed = True
                break
        if not failed:
            entry["status"] = "succeeded"
            if configuration_test:
                secret.versions.pop(token, None)
            return
        threading.Event().wait(pause)
    entry["status"] = "failed"
    if configuration_test:
        secret.versions.pop(token, None)


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
    driven_by_caller = getattr(_local, "driver", None) == "caller"
    lambda_arn = rotation_lambda_arn or secret.rotation_lambda_arn
    if not lambda_arn and not driven_by_caller:
        raise InvalidRequestException(
            "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN "
            "configured and you didn't include such an ARN as a parameter in this call."
        )
    fn = None if driven_by_caller else _function_for(self, lambda_arn, secret.arn)

    pending = version_with(secret, PENDING)
    if pending is not None and pending != version_with(secret, CURRENT):
        raise InvalidRequestException("A previous rotation isn't complete. That rotation will be reattempted.")
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
    if rotate_immediately:
        body["VersionId"] = version_id
        if fn is not None:
            _start(self, secret, version_id, fn, STEPS, "RotateSecret")
    elif fn is not None:
        _start(self, secret, version_id, fn, ("testSecret",), "RotateSecret (RotateImmediately=false)")
    else:
        secret.versions.pop(version_id, None)
    return json.dumps(body)


def _scheduled_rotations() -> None:
    """Secrets Manager's own schedule: rotates every secret whose NextRotationDate has come."""
    while True:
        threading.Event().wait(_env_number("KEYROT_SCHEDULE_TICK_SECONDS", 1.0))
        for account_id, regions in list(secretsmanager_backends.items()):
            # Each account's secrets come due on that account's clock.
            with clock.for_account(account_id):
                now = time.time()
                for region, backend in list(regions.items()):
                    for secret in list(backend.secrets.values()):
                        try:
                            _maybe_rotate_on_schedule(backend, secret, now)
                        except Exception:  # noqa: BLE001 - one secret never stops the others
                            pass


def _maybe_rotate_on_schedule(backend: SecretsManagerBackend, secret: Any, now: float) -> None:
    if isinstance(secret, ReplicaSecret) or secret.is_deleted() or not secret.rotation_enabled:
        return
    due = getattr(secret, "next_rotation_date", None)
    if not due or now < due or not secret.rotation_lambda_arn:
        return
    pending = version_with(secret, PENDING)
    current = version_with(secret, CURRENT)
    fn = lambda_runtime.find_function(backend.account_id, backend.region_name, secret.rotation_lambda_arn)
    if fn is None:
        return
    if pending is not None and pending != current:
        # The rotation in progress is reattempted with its own token.
        token = pending
    else:
        token = str(mock_random.uuid4())
        secret.remove_version_stages_from_old_versions([PENDING])
        secret.versions[token] = {"createdate": int(now), "version_id": token, "version_stages": [PENDING]}
    # The next attempt is the next interval away unless this one completes (then it counts from now).
    secret.next_rotation_date = int(now) + max(3600, secrets_schedule.interval_seconds(secret) or 86400)
    _start(backend, secret, token, fn, STEPS, "schedule")


def history_route(request: Any, full_url: str, headers: Any) -> Any:
    with _history_lock:
        return json_response({"active": _active, "rotations": list(_history)})


def install() -> None:
    SecretsManagerBackend.rotate_secret = rotate_secret  # type: ignore[method-assign]
    secrets_versions.install(on_current_moved=rotation_completed)
    urls.url_paths[HISTORY_ROUTE] = history_route

    original_rotate = SecretsManagerResponse.rotate_secret

    def rotate_secret_response(self: SecretsManagerResponse) -> str:
        _local.driver = (self.headers.get(DRIVER_HEADER) or "").lower()
        try:
            return original_rotate(self)
        finally:
            _local.driver = None

    SecretsManagerResponse.rotate_secret = rotate_secret_response  # type: ignore[method-assign]
    threading.Thread(target=_scheduled_rotations, daemon=True, name="secrets-schedule").start()
