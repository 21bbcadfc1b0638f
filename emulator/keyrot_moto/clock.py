"""The emulator's clock: one simulated time for moto and the Lambda containers it runs (test-only route).

AWS schedules by its own clock (rotation schedules, LastRotatedDate, CreatedDate, version dates). To
simulate days, a server started with KEYROT_SIMULATED_CLOCK=1 (emulator/start.ts `clock` option) keeps
an offset from the real clock: moto's time sources (time.time, and moto.core.utils.utcnow, which
every moto date goes through) read real time plus the offset, and every Lambda invocation carries the
offset to its container, whose Date reads the same (lambda-container.mjs). The clock keeps running.
Product code has no clock override: it reads the time as it would on AWS.

    GET  /_keyrot/clock                  -> {"now": "2027-03-01T03:00:00.123Z", "simulated": true}
    POST /_keyrot/clock {"now": ISO-8601} -> sets the time (also earlier than now), same answer

Why not libfaketime (tried first): preloaded into moto it made each request 3 to 10 times slower (the
year-long demo took 10 minutes instead of one); this offset costs nothing and needs no system package.
The route goes through moto's API Gateway dispatch, like /_keyrot/usage (any apigateway credential
scope). Without KEYROT_SIMULATED_CLOCK, GET answers the real time and POST is refused.
"""
import datetime
import json
import os
import threading
import time
from typing import Any

from .common import apigateway_request, json_response

ROUTE = "{0}/_keyrot/clock$"
_real_time = time.time
_offset = 0.0
_lock = threading.Lock()


def simulated() -> bool:
    return os.environ.get("KEYROT_SIMULATED_CLOCK") == "1"


def now() -> float:
    """Seconds since the epoch on the emulator's clock."""
    return _real_time() + _offset


def offset_ms() -> int:
    return int(_offset * 1000)


def set_now(target: float) -> None:
    global _offset
    with _lock:
        _offset = target - _real_time()


def _parse(value: Any) -> float:
    moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _iso(t: float) -> str:
    moment = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def clock_route(request: Any, full_url: str, headers: Any) -> Any:
    from moto.apigateway.exceptions import BadRequestException

    response = apigateway_request(request, full_url, headers)
    if request.method == "POST":
        if not simulated():
            raise BadRequestException("this emulator runs on the real clock: start it with a simulated one")
        try:
            set_now(_parse(json.loads(response.body or "{}")["now"]))
        except (ValueError, KeyError, TypeError):
            raise BadRequestException('POST /_keyrot/clock takes {"now": "<ISO-8601 time>"}') from None
    return json_response({"now": _iso(now()), "simulated": simulated()})


def install_time_sources() -> None:
    """Before moto serves anything: its time sources read the emulator's clock."""
    if not simulated():
        return
    start = os.environ.get("KEYROT_CLOCK_START")
    if start:
        set_now(_parse(start))
    time.time = now
    from moto.core import utils

    # Every module that imported utcnow holds the same function object: give it a new body.
    utils.__dict__["_keyrot_now"] = now
    exec(
        "def _keyrot_utcnow():\n"
        "    return datetime.datetime.fromtimestamp(_keyrot_now(), datetime.timezone.utc).replace(tzinfo=None)\n",
        utils.__dict__,
    )
    utils.utcnow.__code__ = utils.__dict__["_keyrot_utcnow"].__code__


def install() -> None:
    from moto.apigateway import urls

    urls.url_paths[ROUTE] = clock_route
