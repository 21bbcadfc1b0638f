"""limit and position on GetApiKeys, GetUsagePlans, GetUsagePlanKeys (and GetUsage).

moto answers these lists in one page, which would hide paging bugs. As in API Gateway:
- limit defaults to 25 and must be 1 to 500 (else BadRequestException);
- position is an opaque token, present while more items follow and absent on the last page.

Items are ordered by id, and position names the last id returned (not an offset), so the pages
stay stable when items are created or deleted between two calls: nothing is skipped or repeated.
Filters (name, keyId) run first, in moto's own handler; this module only slices its answer.
"""
import base64
import json
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qs

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.responses import APIGatewayResponse

T = TypeVar("T")
DEFAULT_LIMIT = 25
MAX_LIMIT = 500


def encode_position(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def decode_position(position: str) -> str:
    try:
        after = json.loads(base64.urlsafe_b64decode(position.encode()))["after"]
        if isinstance(after, str):
            return after
    except (ValueError, KeyError, TypeError):
        pass
    raise BadRequestException("Invalid position parameter")


def parse_limit(response: Any) -> int:
    raw = parse_qs(response.parsed_url.query).get("limit", [None])[0]
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise BadRequestException(f"Invalid limit parameter: {raw}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequestException(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
            f"Member must have value between 1 and {MAX_LIMIT}"
        )
    return limit


def page(response: Any, items: list[T], key: Callable[[T], str]) -> tuple[list[T], str | None]:
    """The page of `items` (any order) that the request's limit and position select, and the next position."""
    limit = parse_limit(response)
    raw_position = parse_qs(response.parsed_url.query).get("position", [None])[0]
    ordered = sorted(items, key=key)
    if raw_position is not None:
        after = decode_position(raw_position)
        ordered = [item for item in ordered if key(item) > after]
    selected = ordered[:limit]
    more = len(ordered) > limit
    return selected, (encode_position(key(selected[-1])) if more and selected else None)


def _paged(original: Callable[[APIGatewayResponse], str]) -> Callable[[APIGatewayResponse], str]:
    """Wraps one of moto's list handlers ({"item": [...]}) so that it answers one page."""

    def handler(self: APIGatewayResponse) -> str:
        body = json.loads(original(self))
        selected, position = page(self, body.get("item", []), key=lambda item: str(item.get("id", "")))
        out: dict[str, Any] = {"item": selected}
        if position is not None:
            out["position"] = position
        return json.dumps(out)

    handler.__name__ = original.__name__
    return handler


def install() -> None:
    for name in ("get_api_keys", "get_usage_plans", "get_usage_plan_keys"):
        setattr(APIGatewayResponse, name, _paged(getattr(APIGatewayResponse, name)))
