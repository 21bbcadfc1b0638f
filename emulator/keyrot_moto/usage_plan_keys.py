"""Usage plan keys as API Gateway keeps them.

- DeleteApiKey also removes the key from every usage plan (moto leaves it there).
- CreateUsagePlanKey answers NotFoundException for an unknown plan, and ConflictException for a
  key already in the plan or already in another plan on one of the same API stages (a key can
  reference only one usage plan per API stage).
"""
from typing import Any

from moto.apigateway.exceptions import ApiKeyNotFoundException, ConflictException, UsagePlanNotFoundException
from moto.apigateway.models import APIGatewayBackend


def _stages(plan: Any) -> set[tuple[str, str]]:
    return {(s.get("apiId", ""), s.get("stage", "")) for s in (plan.api_stages or [])}


def install() -> None:
    original_create = APIGatewayBackend.create_usage_plan_key
    original_delete = APIGatewayBackend.delete_api_key

    def create_usage_plan_key(self: APIGatewayBackend, usage_plan_id: str, payload: dict[str, Any]) -> Any:
        if usage_plan_id not in self.usage_plans:
            raise UsagePlanNotFoundException()
        key_id = payload["keyId"]
        if key_id not in self.keys:
            raise ApiKeyNotFoundException()
        if key_id in self.usage_plan_keys.get(usage_plan_id, {}):
            raise ConflictException(f"Usage Plan {usage_plan_id} already contains API Key {key_id}")
        stages = _stages(self.usage_plans[usage_plan_id])
        for other_id, keys in self.usage_plan_keys.items():
            if other_id == usage_plan_id or key_id not in keys or other_id not in self.usage_plans:
                continue
            shared = stages & _stages(self.usage_plans[other_id])
            if shared:
                api_id, stage = sorted(shared)[0]
                raise ConflictException(
                    f"Usage Plan {other_id} cannot be added because API Key {key_id} cannot reference "
                    f"multiple Usage Plans with the same API Stage: {api_id}:{stage}"
                )
        return original_create(self, usage_plan_id, payload)

    def delete_api_key(self: APIGatewayBackend, api_key_id: str) -> None:
        original_delete(self, api_key_id)
        for keys in self.usage_plan_keys.values():
            keys.pop(api_key_id, None)

    APIGatewayBackend.create_usage_plan_key = create_usage_plan_key  # type: ignore[method-assign]
    APIGatewayBackend.delete_api_key = delete_api_key  # type: ignore[method-assign]
