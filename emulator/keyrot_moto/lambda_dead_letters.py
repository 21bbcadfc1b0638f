"""Lambda's dead-letter queue for failed asynchronous invocations (DeadLetterConfig), which moto drops.

- CreateFunction and UpdateFunctionConfiguration keep DeadLetterConfig (and LoggingConfig, the log group
  lambda_runtime.py writes to) and GetFunctionConfiguration shows them. With a dead-letter target the
  execution role may not send to, they fail as Lambda does: InvalidParameterValueException "The provided
  execution role does not have permissions to call SendMessage on SQS" (Publish on SNS).
- An event whose asynchronous invocation failed every attempt goes to the queue with the role
  (SendMessage), as Lambda sends it: the event unchanged as the body; attributes RequestID, ErrorCode
  (the invocation's status: 200 for a function error) and ErrorMessage (at most 1 KB). When the role may
  not send it or the queue is not there, Lambda drops the event and counts it in AWS/Lambda
  DeadLetterErrors (FunctionName); so does this. An SNS target is checked, never delivered to (keyrot has
  none). The roles are decided by lambda_service_iam.py.
"""
from typing import Any

from . import clock, lambda_service_iam

ERROR_MESSAGE_MAX = 1024


def _target(config: Any) -> str | None:
    target = (config or {}).get("TargetArn") if isinstance(config, dict) else None
    return str(target) if target else None


def _check_role(account: str, region: str, role: str, function_name: str, target: str | None) -> None:
    """Refuses a dead-letter target the role may not send to, as CreateFunction does on AWS."""
    from moto.awslambda.exceptions import InvalidParameterValueException

    from . import iam_context

    # A role that does not exist: moto refuses it itself ("cannot be assumed by Lambda").
    if target is None or iam_context.role_policies(account, role) is None:
        return
    use = {"kind": "dead-letter", "target": target}
    if not lambda_service_iam.allowed(account, region, role, function_name, use):
        call = "Publish on SNS" if target.split(":")[2] == "sns" else "SendMessage on SQS"
        raise InvalidParameterValueException(f"The provided execution role does not have permissions to call {call}")


def deliver(fn: Any, body: str, request_id: str, error_message: str) -> None:
    """The failed event to the function's dead-letter queue, or DeadLetterErrors when it can't go there."""
    target = getattr(fn, "dead_letter_config", None)
    if target is None:
        return
    with clock.for_account(fn.account_id):
        if not _send(fn, target, body, request_id, error_message):
            _count_dead_letter_error(fn)


def _send(fn: Any, target: str, body: str, request_id: str, error_message: str) -> bool:
    from moto.sqs.models import sqs_backends

    parts = target.split(":")
    if len(parts) < 6 or parts[2] != "sqs":
        return False
    use = {"kind": "dead-letter", "target": target}
    if not lambda_service_iam.allowed(fn.account_id, fn.region, fn.role, fn.function_name, use):
        return False
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": error_message.encode()[:ERROR_MESSAGE_MAX].decode(errors="ignore")},
    }
    try:
        sqs_backends[parts[4]][parts[3]].send_message(parts[5], body, message_attributes=attributes)
    except Exception:  # noqa: BLE001 - a queue that is gone: the event is dropped, as Lambda drops it
        return False
    return True


def _count_dead_letter_error(fn: Any) -> None:
    from moto.cloudwatch.models import cloudwatch_backends

    cloudwatch_backends[fn.account_id][fn.region].put_metric_data(
        "AWS/Lambda",
        [
            {
                "MetricName": "DeadLetterErrors",
                "Value": 1,
                "Unit": "Count",
                "Dimensions": [{"Name": "FunctionName", "Value": fn.function_name}],
            }
        ],
    )


def install() -> None:
    from moto.awslambda.models import LambdaBackend, LambdaFunction

    init = LambdaFunction.__init__

    def __init__(self: LambdaFunction, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:
        init(self, account_id, spec, region, version)
        self.dead_letter_config = _target(spec.get("DeadLetterConfig"))
        self.logging_config = dict(spec.get("LoggingConfig") or {})

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]

    update_configuration = LambdaFunction.update_configuration

    def update(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = _target(config_updates["DeadLetterConfig"])
        if "LoggingConfig" in config_updates:
            self.logging_config = {**getattr(self, "logging_config", {}), **(config_updates["LoggingConfig"] or {})}
        return update_configuration(self, config_updates)

    LambdaFunction.update_configuration = update  # type: ignore[method-assign]

    get_configuration = LambdaFunction.get_configuration

    def configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        shown = get_configuration(self, *args, **kwargs)
        target = getattr(self, "dead_letter_config", None)
        if target is not None:
            shown["DeadLetterConfig"] = {"TargetArn": target}
        shown["LoggingConfig"] = {"LogFormat": "Text", "LogGroup": self.logs_group_name, **getattr(self, "logging_config", {})}
        return shown

    LambdaFunction.get_configuration = configuration  # type: ignore[method-assign]

    create_function = LambdaBackend.create_function

    def create(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
        name = str(spec.get("FunctionName") or "")
        _check_role(self.account_id, self.region_name, str(spec.get("Role") or ""), name, _target(spec.get("DeadLetterConfig")))
        return create_function(self, spec)

    LambdaBackend.create_function = create  # type: ignore[method-assign]

    update_function_configuration = LambdaBackend.update_function_configuration

    def update_function(self: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        if "DeadLetterConfig" in body or "Role" in body:
            fn = self.get_function(function_name, qualifier)
            target = _target(body["DeadLetterConfig"]) if "DeadLetterConfig" in body else getattr(fn, "dead_letter_config", None)
            _check_role(self.account_id, self.region_name, str(body.get("Role") or fn.role), fn.function_name, target)
        return update_function_configuration(self, function_name, qualifier, body)

    LambdaBackend.update_function_configuration = update_function  # type: ignore[method-assign]
