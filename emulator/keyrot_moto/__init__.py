"""keyrot's extension of moto server: the behaviour keyrot relies on, after the AWS API reference.

install() registers it on moto's own backends before the server starts: routes are added to
moto.apigateway.urls.url_paths and a few response handlers and backend/model methods are wrapped or
replaced. Nothing here proxies or rewrites HTTP responses. One module per behaviour:

API Gateway
- apikey_tags:      TagResource/UntagResource/GetTags on API keys; lastUpdatedDate on UpdateApiKey
- usage:            GetUsage, and the test-only seeding route POST /_keyrot/usage
- paging:           limit/position on GetApiKeys, GetUsagePlans, GetUsagePlanKeys (and GetUsage)
- usage_plan_keys:  DeleteApiKey/DeleteUsagePlan clean-up, CreateUsagePlanKey conflicts, not-found plans
Lambda
- lambda_runtime:   Node.js functions run out of process (their deployed zip, their environment and role)
Secrets Manager
- secrets_rotation: RotateSecret starts an asynchronous rotation that invokes the rotation function per
                    step, with retries; Secrets Manager's own schedule; completion (LastRotatedDate)
- secrets_versions: value-less versions, PutSecretValue on an existing version, staging-label moves,
                    GetSecretValue's default version
- secrets_schedule: RotationRules, NextRotationDate, and what DescribeSecret/ListSecrets show
Emulator
- clock:            one simulated clock for the server and the Lambda containers it runs
- quotas:           API Gateway and Secrets Manager throttle calls over the account's quotas (opt-in)
"""


def install() -> None:
    from . import (
        apikey_tags,
        clock,
        lambda_runtime,
        paging,
        quotas,
        secrets_rotation,
        secrets_schedule,
        usage,
        usage_plan_keys,
    )

    clock.install_time_sources()
    clock.install()
    lambda_runtime.install()
    quotas.install()

    apikey_tags.install()
    usage.install()
    paging.install()
    usage_plan_keys.install()
    secrets_schedule.install()
    secrets_rotation.install()
