"""The emulator's clock: one simulated time for moto and every process it starts (test-only route).

AWS schedules by its own clock (rotation schedules, LastRotatedDate, CreatedDate). To simulate days,
the emulator runs under libfaketime (LD_PRELOAD, started so by emulator/start.ts with `clock: true`):
every time read of this server and of the Lambda containers it starts comes from an offset kept in
the file FAKETIME_TIMESTAMP_FILE ("+N" seconds from the real clock), so all of them agree and the
clock keeps running. Product code has no clock override: it reads the time as it would on AWS.

    GET  /_keyrot/clock                  -> {"now": "2027-03-01T03:00:00.123Z", "simulated": true}
    POST /_keyrot/clock {"now": ISO-8601} -> sets the time (also earlier than now), same answer

The route goes through moto's API Gateway dispatch, like /_keyrot/usage (any apigateway credential
scope). Without libfaketime, GET answers the real time with "simulated": false and POST is refused.
"""
import json
import os
import threading
import time
from datetime import datetime, timezone
from typing import Any

from moto.apigateway import urls
from moto.apigateway.exceptions import BadRequestException

from .common import apigateway_request, json_response

ROUTE = "{0}/_keyrot/clock$"
_lock = threading.Lock()


def clock_file() -> str | None:
    path = os.environ.get("FAKETIME_TIMESTAMP_FILE")
    if not path or "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return None
    return path


def _read_offset(path: str) -> float:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
        return float(text) if text else 0.0
    except (OSError, ValueError):
        return 0.0


def set_now(target: float) -> None:
    """Moves the simulated clock so that time.time() reads `target` now (seconds since the epoch)."""
    path = clock_file()
    if path is None:
        raise BadRequestException("the emulator's clock is the real one: start it with libfaketime (clock: true)")
    with _lock:
        real_now = time.time() - _read_offset(path)
        offset = target - real_now
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{offset:+.3f}\n")
        os.replace(tmp, path)  # libfaketime re-reads the file at each time read: it sees one or the other


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def clock_route(request: Any, full_url: str, headers: Any) -> Any:
    response = apigateway_request(request, full_url, headers)
    if request.method == "POST":
        try:
            body = json.loads(response.body or "{}")
            target = datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError):
            raise BadRequestException('POST /_keyrot/clock takes {"now": "<ISO-8601 time>"}') from None
        if target.tzinfo is None:
            target = target.replace(tzinfo=timezone.utc)
        set_now(target.timestamp())
    body = {"now": _iso(time.time()), "simulated": clock_file() is not None}
    return json_response(body)


def _sleep(seconds: float) -> None:
    threading.Event().wait(max(0.0, seconds))


def install() -> None:
    urls.url_paths[ROUTE] = clock_route
    if clock_file() is not None:
        # Under libfaketime with a real monotonic clock, time.sleep fails (EINVAL); timed waits work.
        time.sleep = _sleep
