"""Lambda GetAccountSettings (GET /2016-08-19/account-settings/), which moto lacks.

After the API reference (GetAccountSettings) and the developer guide's "Lambda quotas" and
"Configuring reserved concurrency":
- AccountLimit.ConcurrentExecutions is the account's concurrency quota in the region: 1,000 by
  default, lower in new accounts (as low as 10) until AWS raises it.
- AccountLimit.UnreservedConcurrentExecutions is that quota minus every function's reserved
  concurrency. Lambda keeps at least 100 unreserved (10 where the quota itself is low), so reserving
  concurrency fails in an account whose unreserved concurrency would drop under it.
- AccountLimit also gives the code-size limits (75 GB total, 250 MB unzipped, 50 MB zipped);
  AccountUsage the code size in use and the number of functions.

The quota is per account: the test-only route POST /_keyrot/lambda-account {"concurrentExecutions": N}
sets it for the caller's account (x-moto-account-id), as AWS support would; GET reads it back.
"""
import json
from typing import Any

DEFAULT_CONCURRENCY = 1000
SETTINGS = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
ROUTE = "{0}/_keyrot/lambda-account$"

# account id -> its concurrency quota (all regions, as the route sets it)
_quota: dict[str, int] = {}


def quota(account_id: str) -> int:
    return _quota.get(account_id, DEFAULT_CONCURRENCY)


def account_settings(request: Any, full_url: str, headers: Any) -> Any:
    from moto.awslambda.responses import LambdaResponse

    response = LambdaResponse()
    response.setup_class(request, full_url, headers)
    functions = list(response.backend.list_functions())
    reserved = sum(int(f.reserved_concurrency) for f in functions if f.reserved_concurrency)
    limit = quota(response.current_account)
    code = sum(int(getattr(f, "code_size", 0) or 0) for f in functions)
    body = {
        "AccountLimit": {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit - reserved,
        },
        "AccountUsage": {"TotalCodeSize": code, "FunctionCount": len(functions)},
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


def account_route(request: Any, full_url: str, headers: Any) -> Any:
    from moto.apigateway.exceptions import BadRequestException

    from .common import apigateway_request, json_response

    response = apigateway_request(request, full_url, headers)
    account = response.current_account
    if request.method == "POST":
        try:
            value = int(json.loads(response.body or "{}")["concurrentExecutions"])
        except (ValueError, TypeError, KeyError, AttributeError):
            raise BadRequestException('POST /_keyrot/lambda-account takes {"concurrentExecutions": integer}') from None
        if value < 1:
            raise BadRequestException("concurrentExecutions must be at least 1")
        _quota[account] = value
    return json_response({"accountId": account, "concurrentExecutions": quota(account)})


def reset() -> None:
    _quota.clear()


def install() -> None:
    from moto.apigateway import urls as apigateway_urls
    from moto.awslambda import urls

    urls.url_paths[SETTINGS] = account_settings
    apigateway_urls.url_paths[ROUTE] = account_route
