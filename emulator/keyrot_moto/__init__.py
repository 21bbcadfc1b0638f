"""keyrot's extension of moto server, each behaviour after the AWS API reference.

Installed on moto's own backends before the server starts: routes are added to the services'
url_paths and a few backend methods are wrapped. Nothing here proxies or rewrites responses.
"""


def install() -> None:
    from . import apikey_tags, paging, secrets_rotation, usage, usage_plan_keys

    apikey_tags.install()
    usage.install()
    paging.install()
    usage_plan_keys.install()
    secrets_rotation.install()
