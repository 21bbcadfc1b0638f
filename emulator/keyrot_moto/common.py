"""Helpers shared by the API Gateway routes this extension adds."""
import json
from typing import Any

from moto.apigateway.responses import APIGatewayResponse


def apigateway_request(request: Any, full_url: str, headers: Any) -> APIGatewayResponse:
    """A moto response object set up for this request: account (x-moto-account-id) and region."""
    response = APIGatewayResponse()
    response.setup_class(request, full_url, headers)
    return response


def json_response(body: Any, status: int = 200) -> tuple[int, dict[str, str], str]:
    return status, {"status": str(status), "Content-Type": "application/json"}, json.dumps(body)
