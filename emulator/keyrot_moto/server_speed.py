"""moto server's own per-request overhead, taken out where it never changes an answer.

Found with cProfile over the year-long lifecycle test. cProfile overstates Python-heavy calls; over
the whole suite the last two together took moto's CPU from about 215 to 211 CPU-s.

- moto's dispatcher asks, for every request, whether the Host names a moto module, and
  moto.backends.list_of_moto_modules answers by listing moto's package directory and stat-ing each of
  its ~200 entries. The package does not change while the server runs: read once.
- BaseResponse.call_action lists the response class's methods with inspect.getmembers for every call.
  A class's methods are fixed once install() has patched them: listed once per class.
- Every answer's x-amzn-requestid is 52 random characters drawn one random.choice at a time.
  random.choices draws them in one call, from the same seedable generator and the same alphabet.
- KMS CreateKey generates a private key for Sign and Verify for every key, RSA-2048 for a symmetric one
  (which can neither sign nor verify): 48 ms of the server's CPU per key, 245 keys in a run of the suite
  (each deployment makes one). Here the key pair is generated when Sign, Verify or GetPublicKey first
  needs it, by the same function: the same answers, the cost only for keys that use it.
"""
import functools
import string
import threading
from typing import Any, Callable

_LETTERS = string.ascii_letters
_LETTERS_AND_DIGITS = string.ascii_letters + string.digits


def install() -> None:
    from moto import backends
    from moto.core import responses, utils
    from moto.moto_api._internal.moto_random import MotoRandom

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]

    # A list per class, copied for each caller (call_action only reads it, but it stays a list).
    names_of = functools.cache(lambda clazz: tuple(utils.method_names_from_class(clazz)))
    responses.method_names_from_class = lambda clazz: list(names_of(clazz))  # type: ignore[assignment]

    def get_random_string(
        self: MotoRandom, length: int = 20, include_digits: bool = True, lower_case: bool = False
    ) -> str:
        pool = _LETTERS_AND_DIGITS if include_digits else _LETTERS
        random_str = "".join(self.choices(pool, k=length))
        return random_str.lower() if lower_case else random_str

    MotoRandom.get_random_string = get_random_string  # type: ignore[method-assign]

    from moto.kms import models as kms_models

    generate = kms_models.generate_private_key
    kms_models.generate_private_key = lambda key_spec: _KeyPairWhenUsed(lambda: generate(key_spec))


class _KeyPairWhenUsed:
    """Stands for moto's private key object (sign, verify, public_key, ...), made on first use."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._key: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._key is None:
                self._key = self._make()
        return getattr(self._key, name)
