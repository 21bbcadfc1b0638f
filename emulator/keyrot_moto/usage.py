"""GetUsage on a usage plan (GET /usageplans/{id}/usage), which moto lacks.

Response as in the API Gateway reference: {usagePlanId, startDate, endDate, items, position?}
where items maps each key of the plan to one [used, remaining] pair per day from startDate to
endDate inclusive. Tests seed the data through a test-only route, POST /_keyrot/usage, with
records {usagePlanId, keyId, date: YYYY-MM-DD, used, remaining?} (one or a list).
Dates are not checked against the server's clock: tests use simulated dates.
"""
import json
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

# (account, region) -> plan id -> key id -> YYYY-MM-DD -> (used, remaining)
_DATA: dict[tuple[str, str], dict[str, dict[str, dict[str, tuple[int, int | None]]]]] = {}


def _parse_day(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadRequestException(f"Invalid {name}: {value!r}; expected YYYY-MM-DD") from None


def get_usage(request: Any, full_url: str, headers: Any) -> Any:
    response = apigateway_request(request, full_url, headers)
    plan_id = response.path.split("/")[2]
    backend = response.backend
    if plan_id not in backend.usage_plans:
        raise UsagePlanNotFoundException()
    query = parse_qs(response.parsed_url.query)
    if "startDate" not in query or "endDate" not in query:
        raise BadRequestException("startDate and endDate are required")
    start = _parse_day(query["startDate"][0], "startDate")
    end = _parse_day(query["endDate"][0], "endDate")
    if end < start:
        raise BadRequestException("The endDate must not be before the startDate")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRequestException(f"The usage data can't be requested for more than {MAX_DAYS} days")
    key_filter = query.get("keyId", [None])[0]
    plan = backend.usage_plans[plan_id]
    quota = (getattr(plan, "quota", None) or {}).get("limit")
    seeded = _DATA.get((response.current_account, response.region), {}).get(plan_id, {})
    key_ids = sorted(set(backend.usage_plan_keys.get(plan_id, {}).keys()))
    if key_filter is not None:
        key_ids = [k for k in key_ids if k == key_filter]
    days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    items = []
    for key_id in key_ids:
        per_day = []
        for d in days:
            used, remaining = seeded.get(key_id, {}).get(d, (0, None))
            if remaining is None:
                remaining = max(int(quota) - used, 0) if quota is not None else 0
            per_day.append([used, remaining])
        items.append((key_id, per_day))
    selected, position = page(response, items)
    body: dict[str, Any] = {
        "usagePlanId": plan_id,
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
        "values": {key_id: per_day for key_id, per_day in selected},
    }
    if position is not None:
        body["position"] = position
    return json_response(body)


def seed_usage(request: Any, full_url: str, headers: Any) -> Any:
    response = apigateway_request(request, full_url, headers)
    payload = json.loads(response.body or "[]")
    records = payload if isinstance(payload, list) else payload.get("records", [payload])
    store = _DATA.setdefault((response.current_account, response.region), {})
    for record in records:
        day = _parse_day(record["date"], "date").isoformat()
        remaining = record.get("remaining")
        per_key = store.setdefault(record["usagePlanId"], {}).setdefault(record["keyId"], {})
        per_key[day] = (int(record["used"]), None if remaining is None else int(remaining))
    return json_response({"seeded": len(records)})


def install() -> None:
    urls.url_paths[USAGE_ROUTE] = get_usage
    urls.url_paths[SEED_ROUTE] = seed_usage
