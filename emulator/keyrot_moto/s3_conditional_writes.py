"""S3 conditional writes, atomic as on AWS.

The S3 user guide ("How to prevent object overwrites with conditional writes"): of the writers racing
on a key with If-None-Match: * (or If-Match: <ETag>), exactly one succeeds; the others get 412
PreconditionFailed (or 409 ConditionalRequestConflict). moto 5.2 checks the condition and then writes,
with nothing between the two: under its threaded server two racing writers can both pass the check
and both "win" (seen: two winners of 24). keyrot's run lease relies on exactly one.

Every PutObject and DeleteObject of one bucket and key is made one at a time here, so a condition is
checked and the write made without another write of that object in between.

Test-only: KEYROT_S3_WRITE_DELAY_SECONDS makes moto's backend wait that long before it stores an object,
widening the gap between the check and the write, so a race shows on every run rather than under load.
"""
import os
import threading
import time
from typing import Any, Callable

_guard = threading.Lock()
_locks: dict[tuple[str, str, str], threading.Lock] = {}


def _lock_of(account: str, bucket: str, key: str) -> threading.Lock:
    with _guard:
        return _locks.setdefault((account, bucket, key), threading.Lock())


def _one_at_a_time(method: Callable[..., Any]) -> Callable[..., Any]:
    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock_of(self.current_account, self.bucket_name, self.parse_key_name()):
            return method(self, *args, **kwargs)

    write.__name__ = method.__name__
    return write


def install() -> None:
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    delay = float(os.environ.get("KEYROT_S3_WRITE_DELAY_SECONDS") or 0)
    if delay > 0:
        store = S3Backend.put_object

        def slow_put_object(self: Any, *args: Any, **kwargs: Any) -> Any:
            time.sleep(delay)
            return store(self, *args, **kwargs)

        S3Backend.put_object = slow_put_object  # type: ignore[method-assign]

    S3Response.put_object = _one_at_a_time(S3Response.put_object)  # type: ignore[method-assign]
    S3Response.delete_object = _one_at_a_time(S3Response.delete_object)  # type: ignore[method-assign]

