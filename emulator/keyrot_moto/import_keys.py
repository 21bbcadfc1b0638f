"""ImportApiKeys: POST /apikeys?mode=import&format=csv[&failonwarnings=true], the body a CSV file.

After the API reference (ImportApiKeys) and the developer guide's "API key file format":
- The file must have Name and Key columns; headers are not case sensitive and come in any order.
  Description, Enabled (default true) and UsagePlanIds (several ids quoted, comma-separated) are
  optional; other columns are ignored.
- A Key value is 20 to 128 characters; a Name at most 1,024.
- Importing a value that already exists overwrites that key (the same id): two keys are the same
  key when they have the same value. Import is idempotent by value.
- The answer is 201 {"ids": [...], "warnings": [...]}. A row that can't be imported (a bad value, an
  unknown usage plan) is a warning and is skipped; with failonwarnings=true the file is refused
  (BadRequestException) and nothing is imported.
The keys get no tags (the file has no tag column): a caller that needs tags tags them afterwards.
"""
import csv
import io
from typing import Any
from urllib.parse import parse_qs

from moto.apigateway import urls
from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import ApiKey, ApigwApiKeyIdentifier

from .common import apigateway_request, json_response

APIKEYS = "{0}/apikeys$"


def _rows(body: str) -> tuple[list[dict[str, str]], list[str]]:
    reader = csv.reader(io.StringIO(body))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("name", "key") if c not in header]
    if missing:
        raise BadRequestException(f"The API key file must have the columns Name and Key (missing: {', '.join(missing)})")
    rows = [dict(zip(header, (v.strip() for v in row))) for row in reader if any(v.strip() for v in row)]
    return rows, header


def _plans(value: str) -> list[str]:
    return [p.strip() for p in value.strip("'\"").split(",") if p.strip()]


def import_keys(request: Any, full_url: str, headers: Any) -> Any:
    response = apigateway_request(request, full_url, headers)
    query = parse_qs(response.parsed_url.query)
    if query.get("format", ["csv"])[0].lower() != "csv":
        raise BadRequestException("format must be csv")
    fail_on_warnings = query.get("failonwarnings", ["false"])[0].lower() == "true"
    backend = response.backend
    raw = request.get_data() if hasattr(request, "get_data") else request.body
    rows, _ = _rows(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw or ""))

    planned: list[tuple[dict[str, str], list[str]]] = []
    warnings: list[str] = []
    for line, row in enumerate(rows, start=2):
        value, name = row.get("key", ""), row.get("name", "")
        plans = _plans(row.get("usageplanids", ""))
        if not 20 <= len(value) <= 128:
            warnings.append(f"line {line}: Key must be 20 to 128 characters")
        elif len(name) > 1024:
            warnings.append(f"line {line}: Name must be at most 1024 characters")
        elif unknown := [p for p in plans if p not in backend.usage_plans]:
            warnings.append(f"line {line}: usage plan(s) not found: {', '.join(unknown)}")
        else:
            planned.append((row, plans))
    if warnings and fail_on_warnings:
        raise BadRequestException(f"Import refused (failonwarnings): {'; '.join(warnings)}")

    by_value = {key.value: key for key in backend.keys.values()}
    ids: list[str] = []
    for row, plans in planned:
        value = row["key"]
        enabled = row.get("enabled", "true").lower() != "false"
        key = by_value.get(value)
        if key is None:
            key_id = ApigwApiKeyIdentifier(backend.account_id, backend.region_name, value).generate()
            key = ApiKey(api_key_id=key_id, name=row.get("name", ""), description=row.get("description", ""),
                         enabled=enabled, value=value)
            backend.keys[key.id] = key
            by_value[value] = key
        else:
            key.name = row.get("name", "")
            key.description = row.get("description", "")
            key.enabled = enabled
        for plan_id in plans:
            backend.usage_plan_keys.setdefault(plan_id, {})
            if key.id not in backend.usage_plan_keys[plan_id]:
                backend.create_usage_plan_key(plan_id, {"keyId": key.id, "keyType": "API_KEY"})
        ids.append(key.id)
    return json_response({"ids": ids, "warnings": warnings}, status=201)


def install() -> None:
    original = urls.url_paths[APIKEYS]

    def apikeys(request: Any, full_url: str, headers: Any) -> Any:
        if request.method == "POST" and "mode=import" in full_url:
            return import_keys(request, full_url, headers)
        return original(request, full_url, headers)

    urls.url_paths[APIKEYS] = apikeys
