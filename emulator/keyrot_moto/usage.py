"""GetUsage (GET /usageplans/{usagePlanId}/usage), which moto lacks, and a test-only route to seed it.

As in the API Gateway reference, the answer is
    {"usagePlanId", "startDate", "endDate", "values": {keyId: [[used, remaining], ...]}, "position"?}
("values" on the wire; the SDKs call it `items`), with one [used, remaining] pair per day from
startDate to endDate inclusive, for every key of the plan (or only `keyId`), paged over keys with
limit/position like the other lists. A day without data is [0, remaining].

remaining: the seeded value if a record gave one; else the plan's quota limit less what the key used
from the start of the quota period (the UTC day, ISO week or calendar month) up to that day; 0 for a
plan without a quota.

Validation: startDate and endDate are required YYYY-MM-DD dates, endDate not before startDate, and
one call covers at most 90 days (BadRequestException). API Gateway keeps usage data only for a
limited time back from today; that is NOT checked against the server's clock, because tests run on
simulated dates far from it. An unknown plan is NotFoundException.

Seeding (test-only, not an AWS API): POST /_keyrot/usage with a JSON body that is one record, a list
of records, or {"records": [...]}; a record is
    {"usagePlanId": str, "keyId": str, "date": "YYYY-MM-DD", "used": int >= 0, "remaining"?: int >= 0}
A later record for the same plan, key and date replaces the earlier one. Data is kept per account
(x-moto-account-id) and region (from the request's credential scope, as moto routes every request),
so the request must carry an Authorization header whose scope names apigateway, e.g.
    Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, ...
The answer is 200 {"seeded": N}; a malformed record is 400 BadRequestException naming it.
"""
import json
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

from moto.apigateway import urls
from moto.apigateway.exceptions import BadRequestException, UsagePlanNotFoundException

from .common import apigateway_request, json_response
from .paging import page

USAGE_ROUTE = "{0}/usageplans/(?P<usage_plan_id>[^/]+)/usage$"
SEED_ROUTE = "{0}/_keyrot/usage$"
MAX_DAYS = 90
DAY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# (account, region) -> plan id -> key id -> YYYY-MM-DD -> (used, remaining or None)
Usage = dict[str, dict[str, dict[str, tuple[int, int | None]]]]
_DATA: dict[tuple[str, str], Usage] = {}


def reset() -> None:
    """Forgets the seeded usage (moto's reset: the usage plans it described are gone)."""
    _DATA.clear()


def _parse_day(value: Any, name: str) -> date:
    if isinstance(value, str) and DAY_PATTERN.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise BadRequestException(f"Invalid {name}: {value!r}; expected a date as YYYY-MM-DD")


def _period_start(day: date, period: str) -> date:
    if period == "WEEK":
        return day - timedelta(days=day.weekday())
    if period == "MONTH":
        return day.replace(day=1)
    return day


def _daily(per_day: dict[str, tuple[int, int | None]], days: list[date], quota: dict[str, Any]) -> list[list[int]]:
    """One [used, remaining] pair per day for one key."""
    limit = quota.get("limit")
    if not per_day:
        # Most keys have no data: every day is [0, the whole quota] (the server answers this for each
        # key of each plan, so it is kept cheap).
        full = 0 if limit is None else max(int(limit), 0)
        return [[0, full] for _ in days]
    period = str(quota.get("period", "DAY")).upper()
    out: list[list[int]] = []
    for day in days:
        used, remaining = per_day.get(day.isoformat(), (0, None))
        if remaining is None:
            if limit is None:
                remaining = 0
            else:
                start = _period_start(day, period)
                spent = sum(
                    u for d, (u, _) in per_day.items() if start.isoformat() <= d <= day.isoformat()
                )
                remaining = max(int(limit) - spent, 0)
        out.append([used, remaining])
    return out


def get_usage(request: Any, full_url: str, headers: Any) -> Any:
    response = apigateway_request(request, full_url, headers)
    plan_id = response.path.rstrip("/").split("/")[-2]
    backend = response.backend
    if plan_id not in backend.usage_plans:
        raise UsagePlanNotFoundException()
    query = parse_qs(response.parsed_url.query)
    for required in ("startDate", "endDate"):
        if required not in query:
            raise BadRequestException(f"{required} is required")
    start = _parse_day(query["startDate"][0], "startDate")
    end = _parse_day(query["endDate"][0], "endDate")
    if end < start:
        raise BadRequestException("The endDate must not be before the startDate")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRequestException(f"The date range can't be longer than {MAX_DAYS} days")
    key_filter = query.get("keyId", [None])[0]

    plan = backend.usage_plans[plan_id]
    seeded = _DATA.get((response.current_account, response.region), {}).get(plan_id, {})
    key_ids = [k for k in backend.usage_plan_keys.get(plan_id, {}) if key_filter is None or k == key_filter]
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    selected, position = page(response, key_ids, key=lambda k: k)
    body: dict[str, Any] = {
        "usagePlanId": plan_id,
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
        "values": {k: _daily(seeded.get(k, {}), days, plan.quota or {}) for k in selected},
    }
    if position is not None:
        body["position"] = position
    return json_response(body)


def _record(raw: Any, index: int) -> tuple[str, str, str, int, int | None]:
    def fail(why: str) -> BadRequestException:
        return BadRequestException(f"usage record {index}: {why}")

    if not isinstance(raw, dict):
        raise fail("not an object")
    plan_id, key_id = raw.get("usagePlanId"), raw.get("keyId")
    if not isinstance(plan_id, str) or not plan_id or not isinstance(key_id, str) or not key_id:
        raise fail("usagePlanId and keyId must be non-empty strings")
    day = _parse_day(raw.get("date"), f"date in usage record {index}").isoformat()
    used, remaining = raw.get("used"), raw.get("remaining")
    if isinstance(used, bool) or not isinstance(used, int) or used < 0:
        raise fail("used must be an integer >= 0")
    if remaining is not None and (isinstance(remaining, bool) or not isinstance(remaining, int) or remaining < 0):
        raise fail("remaining, when given, must be an integer >= 0")
    return plan_id, key_id, day, used, remaining


def seed_usage(request: Any, full_url: str, headers: Any) -> Any:
    response = apigateway_request(request, full_url, headers)
    if request.method != "POST":
        raise BadRequestException("use POST to seed usage")
    try:
        payload = json.loads(response.body or "[]")
    except ValueError:
        raise BadRequestException("the body is not JSON") from None
    if isinstance(payload, dict) and "records" in payload:
        payload = payload["records"]
    raw_records = payload if isinstance(payload, list) else [payload]
    records = [_record(raw, i) for i, raw in enumerate(raw_records)]  # all checked before any is kept
    store = _DATA.setdefault((response.current_account, response.region), {})
    for plan_id, key_id, day, used, remaining in records:
        store.setdefault(plan_id, {}).setdefault(key_id, {})[day] = (used, remaining)
    return json_response({"seeded": len(records)})


def install() -> None:
    urls.url_paths[USAGE_ROUTE] = get_usage
    urls.url_paths[SEED_ROUTE] = seed_usage
