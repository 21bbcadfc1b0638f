"""limit and position on GetApiKeys, GetUsagePlans, GetUsagePlanKeys (and GetUsage).

moto answers everything in one page, which would hide paging bugs. As in API Gateway: limit
defaults to 25 and may be 1 to 500; position is an opaque token, absent on the last page.
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


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _decode(position: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(position.encode()))["o"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError):
        pass
    raise BadRequestException("Invalid position parameter")


def page(response: Any, items: list[T]) -> tuple[list[T], str | None]:
    """The slice of `items` the request's limit and position select, and the next position."""
    query = parse_qs(response.parsed_url.query)
    raw_limit = query.get("limit", [None])[0]
    try:
        limit = DEFAULT_LIMIT if raw_limit is None else int(raw_limit)
    except ValueError:
        raise BadRequestException(f"Invalid limit: {raw_limit}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequestException(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to {MAX_LIMIT}")
    raw_position = query.get("position", [None])[0]
    offset = 0 if raw_position is None else _decode(raw_position)
    selected = items[offset : offset + limit]
    following = offset + limit
    return selected, (_encode(following) if following < len(items) else None)


def _paged(original: Callable[[APIGatewayResponse], str]) -> Callable[[APIGatewayResponse], str]:
    def handler(self: APIGatewayResponse) -> str:
        body = json.loads(original(self))
        # Stable order across pages: by id, as moto's dicts keep insertion order anyway.
        selected, position = page(self, body.get("item", []))
        out: dict[str, Any] = {"item": selected}
        if position is not None:
            out["position"] = position
        return json.dumps(out)

    handler.__name__ = original.__name__
    return handler


def install() -> None:
    for name in ("get_api_keys", "get_usage_plans", "get_usage_plan_keys"):
        setattr(APIGatewayResponse, name, _paged(getattr(APIGatewayResponse, name)))
