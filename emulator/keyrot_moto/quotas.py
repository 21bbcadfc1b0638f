"""Request quotas: API Gateway and Secrets Manager throttle callers that go over them (opt-in).

AWS answers a call over an account's quota with a throttling error: API Gateway with 429
TooManyRequestsException (and Retry-After), Secrets Manager with 400 ThrottlingException ("Rate
exceeded"); the SDK retries both with backoff. moto throttles nothing, so pacing that fails to hold
(several rotation function containers each pacing to the whole quota, say) would go unseen. With
enforcement on, each account and region gets token buckets at these rates, times a scale:

- API Gateway (docs/aws-facts.md): CreateApiKey and DeleteApiKey 5/s (burst 5); UpdateUsagePlan
  1 per 20 s; GetResources 5 per 2 s; every other call 10/s with a burst of 40.
- Secrets Manager (its quotas page): PutSecretValue, UpdateSecret and UpdateSecretVersionStage 50/s
  combined; RotateSecret and CancelRotateSecret 50/s; TagResource and UntagResource 50/s;
  CreateSecret 50/s. Reads are far higher and not enforced.

Off by default: tests seed thousands of keys as fast as the emulator answers, which AWS would
throttle. A test or the benchmark turns it on (test-only route, any apigateway credential scope):

    POST /_keyrot/quotas {"scale": 5}      -> enforce at 5x the quotas (null: off); counters reset
    GET  /_keyrot/quotas                   -> {"scale", "calls": {op: n}, "throttled": {op: n},
                                              "sharedPeak10s": n} of the caller's account
                                              (x-moto-account-id or its credentials)

`sharedPeak10s` is the most requests API Gateway's shared bucket (every call without a quota of its
own) received in any 10 seconds since enforcement was armed, throttled attempts included: what a
share of that bucket is measured against.
"""
import json
import re
import threading
import time
from typing import Any

from moto.core.responses import BaseResponse, _get_method_urls
from moto.core.utils import convert_to_flask_response

from .common import apigateway_request, json_response

ROUTE = "{0}/_keyrot/quotas$"

APIGATEWAY = {
    "CreateApiKey": ("CreateApiKey", 5.0, 5),
    "DeleteApiKey": ("DeleteApiKey", 5.0, 5),
    "UpdateUsagePlan": ("UpdateUsagePlan", 0.05, 1),
    "GetResources": ("GetResources", 2.5, 5),
}
APIGATEWAY_OTHERS = ("apigateway", 10.0, 40)
SECRETS_MANAGER = {
    "PutSecretValue": ("writes", 50.0, 50),
    "UpdateSecret": ("writes", 50.0, 50),
    "UpdateSecretVersionStage": ("writes", 50.0, 50),
    "RotateSecret": ("rotation", 50.0, 50),
    "CancelRotateSecret": ("rotation", 50.0, 50),
    "TagResource": ("tags", 50.0, 50),
    "UntagResource": ("tags", 50.0, 50),
    "CreateSecret": ("CreateSecret", 50.0, 50),
}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/aws4_request")

_lock = threading.Lock()
_scale: float | None = None
_buckets: dict[tuple[str, str, str, str], list[float]] = {}
_calls: dict[str, dict[str, int]] = {}
_throttled: dict[str, dict[str, int]] = {}
# When each request reached an account's shared API Gateway bucket (monotonic seconds).
_shared_times: dict[str, list[float]] = {}
WINDOW_S = 10.0


def _operation(service: str, method: str, path: str, headers: Any) -> str | None:
    if service == "secretsmanager":
        target = headers.get("X-Amz-Target") or headers.get("x-amz-target") or ""
        return target.split(".")[-1] or None
    if service == "apigateway":
        patterns = _get_method_urls("apigateway", "us-east-1").get(method, {})
        for regexp, name in sorted(patterns.items(), key=lambda item: len(item[0]), reverse=True):
            if re.match(regexp, path):
                return str(name)
    return None


def _limit(service: str, operation: str) -> tuple[str, float, int] | None:
    if service == "apigateway":
        return APIGATEWAY.get(operation, APIGATEWAY_OTHERS)
    if service == "secretsmanager":
        return SECRETS_MANAGER.get(operation)
    return None


def _take(key: tuple[str, str, str, str], per_second: float, burst: float) -> bool:
    """One token from the bucket, if it has one (monotonic time: the simulated clock doesn't refill it)."""
    now = time.monotonic()
    bucket = _buckets.setdefault(key, [burst, now])
    bucket[0] = min(burst, bucket[0] + (now - bucket[1]) * per_second)
    bucket[1] = now
    if bucket[0] >= 1:
        bucket[0] -= 1
        return True
    return False


def _throttle(service: str) -> tuple[int, dict[str, str], str]:
    if service == "apigateway":
        body = json.dumps({"message": "Too Many Requests"})
        return 429, {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException", "Retry-After": "1"}, body
    body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
    return 400, {"Content-Type": "application/x-amz-json-1.1"}, body


def peak_in_window(times: list[float], window: float = WINDOW_S) -> int:
    """The most of these instants that fall in any half-open interval [t, t + window)."""
    peak, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


def check(request: Any) -> tuple[int, dict[str, str], str] | None:
    """A throttling answer when the request goes over its quota, else None (and the call is counted)."""
    scale = _scale
    if scale is None:
        return None
    scope = _CREDENTIAL_SCOPE.search(request.headers.get("Authorization", ""))
    if scope is None:
        return None
    region, service = scope.group(1), scope.group(2)
    if service not in ("apigateway", "secretsmanager") or "/_keyrot/" in request.path:
        return None
    # The path as sent: an API key's ARN in /tags/{arn} is percent-encoded, and the operation's pattern expects that.
    path = str(request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path).split("?")[0]
    operation = _operation(service, request.method, path, request.headers) or (
        f"{request.method} {request.path}" if service == "apigateway" else None
    )
    limit = _limit(service, operation) if operation else None
    if operation is None or limit is None:
        return None
    probe = BaseResponse(service_name=service)
    probe.setup_class(request, request.url, dict(request.headers))
    account = probe.current_account
    name, per_second, burst = limit
    op = f"{service}:{operation}"
    with _lock:
        allowed = _take((account, region, service, name), per_second * scale, max(1.0, round(burst * scale)))
        if service == "apigateway" and name == APIGATEWAY_OTHERS[0]:
            _shared_times.setdefault(account, []).append(time.monotonic())
        counts = _calls if allowed else _throttled
        per_account = counts.setdefault(account, {})
        per_account[op] = per_account.get(op, 0) + 1
    return None if allowed else _throttle(service)


def quotas_route(request: Any, full_url: str, headers: Any) -> Any:
    global _scale
    from moto.apigateway.exceptions import BadRequestException

    response = apigateway_request(request, full_url, headers)
    account = response.current_account
    if request.method == "POST":
        try:
            value = json.loads(response.body or "{}").get("scale")
            scale = None if value is None else float(value)
        except (ValueError, TypeError, AttributeError):
            raise BadRequestException('POST /_keyrot/quotas takes {"scale": number | null}') from None
        if scale is not None and not scale > 0:
            raise BadRequestException("scale is a positive number, or null to stop enforcing")
        with _lock:
            _scale = scale
            _buckets.clear()
            _calls.clear()
            _throttled.clear()
            _shared_times.clear()
    with _lock:
        return json_response(
            {
                "scale": _scale,
                "calls": dict(_calls.get(account, {})),
                "throttled": dict(_throttled.get(account, {})),
                "sharedPeak10s": peak_in_window(_shared_times.get(account, [])),
            }
        )


def reset() -> None:
    global _scale
    with _lock:
        _scale = None
        _buckets.clear()
        _calls.clear()
        _throttled.clear()
        _shared_times.clear()


def install() -> None:
    from flask import Response, request
    from moto.apigateway import urls

    urls.url_paths[ROUTE] = quotas_route
    original = convert_to_flask_response.__call__
    if getattr(original, "_keyrot_quotas", False):
        return

    def __call__(self: convert_to_flask_response, args: Any = None, **kwargs: Any) -> Any:
        throttled = check(request)
        if throttled is not None:
            status, headers, body = throttled
            return Response(response=body, status=status, headers=headers)
        return original(self, args, **kwargs)

    __call__._keyrot_quotas = True  # type: ignore[attr-defined]
    convert_to_flask_response.__call__ = __call__  # type: ignore[method-assign]
