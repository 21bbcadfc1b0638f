"""keyrot's extension of moto server: the behaviour keyrot relies on, after the AWS API reference.

install() registers it on moto's own backends before the server starts: routes are added to
moto.apigateway.urls.url_paths and a few response handlers and backend/model methods are wrapped or
replaced. Nothing here proxies or rewrites HTTP responses. One module per behaviour:

API Gateway
- apikey_tags:      TagResource/UntagResource/GetTags on API keys; lastUpdatedDate on UpdateApiKey
- import_keys:      ImportApiKeys (a CSV file of keys, with their usage plans), which moto lacks
- usage:            GetUsage, and the test-only seeding route POST /_keyrot/usage
- paging:           limit/position on GetApiKeys, GetUsagePlans, GetUsagePlanKeys (and GetUsage)
- usage_plan_keys:  DeleteApiKey/DeleteUsagePlan clean-up, CreateUsagePlanKey conflicts, not-found plans
Lambda
- lambda_runtime:   Node.js functions run out of process (their deployed zip, their environment and role)
- lambda_account:   GetAccountSettings (the account's concurrency quota and what is unreserved)
- lambda_dead_letters: DeadLetterConfig (and LoggingConfig) kept; a dead-letter queue the role may not send
                    to refused; a failed asynchronous event delivered to it with the role, or DeadLetterErrors
- lambda_service_iam: the Lambda service's own uses of an execution role (log delivery, dead letters),
                    decided by IAM as the function's calls are
- iam_context:      what IAM consults for a call (role, secret and key policies), for the IAM gateway
                    in front of each Lambda container (emulator/iam/)
Secrets Manager
- secrets_rotation: RotateSecret starts an asynchronous rotation that invokes the rotation function per
                    step, with retries; Secrets Manager's own schedule; completion (LastRotatedDate)
- secrets_versions: value-less versions, PutSecretValue on an existing version, staging-label moves,
                    GetSecretValue's default version
- secrets_schedule: RotationRules, NextRotationDate, and what DescribeSecret/ListSecrets show
- secrets_replication: replicas follow the primary's versions and labels after a delay (asynchronous
                    replication), ReplicationStatus InProgress meanwhile; PrimaryRegion on a replicated primary
S3
- s3_conditional_writes: a conditional PutObject/DeleteObject checked and made with no other write of
                    that object between (moto checks, then writes: two racing writers could both win)
Security Hub
- securityhub:      BatchImportFindings and GetFindings: an enabled hub, the default product, required ASFF
                    fields, 100 per batch, updates that keep CreatedAt and the customer's fields, the automatic
                    workflow changes, string filters
Emulator
- clock:            simulated clocks, one per account, for moto and the Lambda containers it runs
- quotas:           API Gateway and Secrets Manager throttle calls over the account's quotas (opt-in)
- keep_alive:       the server keeps connections open between calls (werkzeug closes each one)
- server_speed:     moto server's per-request overhead (a package scan, method listing, request ids), done once
"""


# The extension patches private parts of this moto version; another one may differ anywhere.
SUPPORTED_MOTO = "5.2.1"
_installed = False


def install() -> None:
    """Registers the extension once (a second call does nothing), on the moto version it was written for."""
    global _installed
    if _installed:
        return
    import moto

    if moto.__version__ != SUPPORTED_MOTO:
        raise RuntimeError(
            f"keyrot's emulator extension is written against moto {SUPPORTED_MOTO} (it patches its internals); "
            f"this Python has moto {moto.__version__}. Install moto[server]=={SUPPORTED_MOTO}, or let "
            "emulator/start.ts make its own virtual environment (unset KEYROT_PYTHON)."
        )
    from . import (
        apikey_tags,
        clock,
        iam_context,
        import_keys,
        keep_alive,
        lambda_account,
        lambda_dead_letters,
        lambda_runtime,
        lambda_service_iam,
        paging,
        quotas,
        s3_conditional_writes,
        secrets_rotation,
        secrets_replica_keys,
        secrets_replication,
        secrets_schedule,
        securityhub,
        server_speed,
        usage,
        usage_plan_keys,
    )

    server_speed.install()
    keep_alive.install()
    clock.install_time_sources()
    clock.install()
    lambda_runtime.install()
    lambda_dead_letters.install()
    lambda_account.install()
    quotas.install()

    apikey_tags.install()
    import_keys.install()
    usage.install()
    paging.install()
    usage_plan_keys.install()
    secrets_schedule.install()
    secrets_rotation.install()
    secrets_replication.install()
    secrets_replica_keys.install()
    securityhub.install()
    s3_conditional_writes.install()
    # Last: it counts changes through whatever the modules above made of moto's methods.
    iam_context.install()
    _reset_with_moto([clock.reset, usage.reset, lambda_runtime.reset, lambda_service_iam.reset, lambda_account.reset, quotas.reset, secrets_rotation.reset, secrets_replication.reset])
    _installed = True


def _reset_with_moto(resets: list) -> None:
    """POST /moto-api/reset empties moto's backends; the extension's own state goes with them."""
    from moto.moto_api._internal.models import MotoAPIBackend

    original = MotoAPIBackend.reset

    def reset(self: MotoAPIBackend) -> None:
        original(self)
        for extension_reset in resets:
            extension_reset()

    MotoAPIBackend.reset = reset  # type: ignore[method-assign]
