"""The emulator's clocks: simulated time for moto and the Lambda containers it runs (test-only route).

AWS schedules by its own clock (rotation schedules, LastRotatedDate, CreatedDate, version dates). To
simulate days, the emulator keeps offsets from the real clock: moto's time sources (time.time, and
moto.core.utils.utcnow, which every moto date goes through) read real time plus the offset of the
account being served, and every Lambda invocation carries its function's account offset to the
container, whose Date reads the same (lambda-container.mjs). Clocks keep running once set.

One clock per account, so test files that share one emulator (each in an account of its own) each
run on their own simulated time: an account whose clock was set reads that clock; any other account
reads the server's clock. The server's clock is the real one unless the server was started with
KEYROT_SIMULATED_CLOCK=1 (emulator/start.ts `clock` option: the demo, `npm run emulator`), which lets
POST without an account move it, or with KEYROT_MACHINE_NOW (the machine's clock moved by libfaketime
in the process that started the server: it starts there and runs on).

    GET  /_keyrot/clock                    -> {"now": "2027-03-01T03:00:00.123Z", "simulated": true, "account": null}
    POST /_keyrot/clock {"now": ISO-8601}  -> moves the server's clock (also back), same answer
    x-moto-account-id: 123456789012        -> the same, for that account's own clock ("account": its id
                                              once it has one)

Which account a moment belongs to: a request's, as moto decides it (the x-moto-account-id header, else
the access key's account: BaseResponse.get_current_account, wrapped below), or the account a background
thread works for (Secrets Manager's rotations and schedule: `for_account`).

Why not libfaketime (tried first): preloaded into moto it made each request 3 to 10 times slower (the
year-long demo took 10 minutes instead of one); these offsets cost nothing and need no system package.
The route goes through moto's API Gateway dispatch, like /_keyrot/usage (any apigateway credential
scope).
"""
import contextlib
import datetime
import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from .common import apigateway_request, json_response

ROUTE = "{0}/_keyrot/clock$"
ACCOUNT_HEADER = "x-moto-account-id"
_real_time = time.time
_server_offset = 0.0
_account_offsets: dict[str, float] = {}
_lock = threading.Lock()
_current = threading.local()


def simulated() -> bool:
    """Whether the server's own clock may be moved (accounts' clocks always may)."""
    return os.environ.get("KEYROT_SIMULATED_CLOCK") == "1"


def _offset(account: str | None) -> float:
    if account is not None:
        found = _account_offsets.get(account)
        if found is not None:
            return found
    return _server_offset


def current_account() -> str | None:
    return getattr(_current, "account", None)


def now(account: str | None = None) -> float:
    """Seconds since the epoch on an account's clock (default: the account this thread serves)."""
    return _real_time() + _offset(account if account is not None else current_account())


def offset_ms(account: str | None = None) -> int:
    return int(_offset(account if account is not None else current_account()) * 1000)


def set_now(target: float, account: str | None = None) -> None:
    global _server_offset
    with _lock:
        if account is None:
            _server_offset = target - _real_time()
        else:
            _account_offsets[account] = target - _real_time()


@contextlib.contextmanager
def for_account(account: str) -> Iterator[None]:
    """Moments in this block (a background thread's work) are on that account's clock."""
    before = current_account()
    _current.account = account
    try:
        yield
    finally:
        _current.account = before


def reset() -> None:
    """moto's reset: accounts lose their own clocks (the server's stays where it is)."""
    with _lock:
        _account_offsets.clear()


def _parse(value: Any) -> float:
    moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def iso(t: float) -> str:
    moment = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def clock_route(request: Any, full_url: str, headers: Any) -> Any:
    from moto.apigateway.exceptions import BadRequestException

    response = apigateway_request(request, full_url, headers)
    account = response.headers.get(ACCOUNT_HEADER) or None
    if account is not None and not (len(account) == 12 and account.isdigit()):
        raise BadRequestException(f"{ACCOUNT_HEADER} must be a 12-digit account id, not {account!r}")
    if request.method == "POST":
        if account is None and not simulated():
            raise BadRequestException(
                "this emulator's own clock is the real one: give the account (x-moto-account-id) whose "
                "clock to move, or start the emulator with a simulated clock"
            )
        try:
            set_now(_parse(json.loads(response.body or "{}")["now"]), account)
        except (ValueError, KeyError, TypeError):
            raise BadRequestException('POST /_keyrot/clock takes {"now": "<ISO-8601 time>"}') from None
    own = account is not None and account in _account_offsets
    return json_response(
        {"now": iso(now(account)), "simulated": own or simulated(), "account": account if own else None}
    )


def install_time_sources() -> None:
    """Before moto serves anything: its time sources read the clock of the account being served."""
    start = os.environ.get("KEYROT_CLOCK_START")
    machine = os.environ.get("KEYROT_MACHINE_NOW")
    if simulated() and start:
        set_now(_parse(start))
    elif machine:
        # The machine's clock, moved (libfaketime in the starter's process, see emulator/start.ts).
        set_now(_parse(machine))
    time.time = now  # type: ignore[assignment]
    from moto.core import utils
    from moto.core.responses import BaseResponse

    # Every module that imported utcnow holds the same function object: give it a new body.
    utils.__dict__["_keyrot_now"] = now
    exec(
        "def _keyrot_utcnow():\n"
        "    return datetime.datetime.fromtimestamp(_keyrot_now(), datetime.timezone.utc).replace(tzinfo=None)\n",
        utils.__dict__,
    )
    utils.utcnow.__code__ = utils.__dict__["_keyrot_utcnow"].__code__

    # Each request is served on its account's clock, decided as moto decides the account.
    original = BaseResponse.get_current_account

    def get_current_account(self: BaseResponse) -> str:
        account = original(self)
        _current.account = account
        return account

    BaseResponse.get_current_account = get_current_account  # type: ignore[method-assign]


def install() -> None:
    from moto.apigateway import urls

    urls.url_paths[ROUTE] = clock_route
