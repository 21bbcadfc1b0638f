"""moto server's own per-request overhead, taken out where it never changes an answer.

For every request, moto's dispatcher asks whether the Host names a moto module, and
moto.backends.list_of_moto_modules answers by listing moto's package directory and stat-ing each of
its ~200 entries: most of a small request's system time here. The package does not change while the
server runs, so the list is read once.
"""


def install() -> None:
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]
