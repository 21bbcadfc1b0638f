"""TagResource, UntagResource and GetTags on API key ARNs, and lastUpdatedDate on UpdateApiKey.

moto's /tags/ route takes the ARN as one path segment, but the `/` in
arn:aws:apigateway:REGION::/apikeys/ID arrives decoded, so API keys were never taggable.
This adds a route for exactly those ARNs:
- PUT    /tags/{arn}  {"tags": {...}}            TagResource: merges, 204
- DELETE /tags/{arn}?tagKeys=a&tagKeys=b         UntagResource: removes those keys, 204
- GET    /tags/{arn}                             GetTags: {"tags": {...}}
Tags are kept on moto's ApiKey (where CreateApiKey's tags already are), so GetApiKey and
GetApiKeys show them. An unknown key, or a key ARN of another region, is NotFoundException.
Tag rules as in API Gateway: keys 1-128 characters, not starting with aws:, values up to 256
characters, at most 50 tags per resource (BadRequestException otherwise).
"""
import re
import time
from typing import Any
from urllib.parse import parse_qs

from moto.apigateway import urls
from moto.apigateway.exceptions import ApiKeyNotFoundException, BadRequestException
from moto.apigateway.models import ApiKey

from .common import apigateway_request, json_response

ROUTE = "{0}/tags/arn:(?P<partition>[^:/]+):apigateway:(?P<tag_region>[^:/]*)::/apikeys/(?P<api_key_id>[^/]+)$"


def _key(response: Any) -> ApiKey:
    match = re.search(r":apigateway:([^:/]*)::/apikeys/([^/]+)/?$", response.path)
    if match is None:
        raise ApiKeyNotFoundException()
    region, key_id = match.groups()
    keys = response.backend.keys
    # A key lives in one region: an ARN naming another region's key is not found here.
    if region != response.region or key_id not in keys:
        raise ApiKeyNotFoundException()
    return keys[key_id]


def handle(request: Any, full_url: str, headers: Any) -> Any:
    response = apigateway_request(request, full_url, headers)
    key = _key(response)
    method = request.method
    if method == "GET":
        return json_response({"tags": dict(key.tags or {})})
    if method == "PUT":
        tags = response._get_param("tags") or {}
        if not isinstance(tags, dict) or not tags:
            raise BadRequestException("tags must be a non-empty map")
        for name, value in tags.items():
            if not 1 <= len(name) <= 128 or len(str(value)) > 256 or name.lower().startswith("aws:"):
                raise BadRequestException(f"Invalid tag: {name}")
        merged = dict(key.tags or {})
        merged.update({k: str(v) for k, v in tags.items()})
        if len(merged) > 50:
            raise BadRequestException("A resource can have at most 50 tags")
        key.tags = merged
        return 204, {"status": "204"}, ""
    if method == "DELETE":
        names = parse_qs(response.parsed_url.query).get("tagKeys", [])
        key.tags = {k: v for k, v in dict(key.tags or {}).items() if k not in names}
        return 204, {"status": "204"}, ""
    raise BadRequestException(f"{method} is not supported on tags")


def _touch_on_update(original: Any) -> Any:
    # API Gateway sets lastUpdatedDate on every UpdateApiKey; hygiene reads it for disabled keys.
    def update_operations(self: ApiKey, patch_operations: Any) -> ApiKey:
        result = original(self, patch_operations)
        self.last_updated_date = int(time.time())
        return result

    return update_operations


def install() -> None:
    urls.url_paths[ROUTE] = handle
    ApiKey.update_operations = _touch_on_update(ApiKey.update_operations)  # type: ignore[method-assign]
