"""Usage plan keys as API Gateway keeps them.

- DeleteApiKey also removes the key from every usage plan (moto leaves it there).
- DeleteUsagePlan forgets the plan's keys too, so GetUsagePlans?keyId= and the stage rule below
  never see a deleted plan.
- CreateUsagePlanKey answers NotFoundException for an unknown plan or key, and ConflictException
  (409) for a key already in the plan, or already in another plan that shares an API stage
  (apiId + stage) with this one: a key can reference only one usage plan per API stage.
- GetUsagePlanKeys on an unknown plan is NotFoundException (moto answers an empty list).
GetUsagePlans?keyId= is moto's own (it lists the plans whose keys include that key); paging.py pages it.
"""
from typing import Any

from moto.apigateway.exceptions import ApiKeyNotFoundException, ConflictException, UsagePlanNotFoundException
from moto.apigateway.models import APIGatewayBackend


def _stages(plan: Any) -> set[tuple[str, str]]:
    return {(s.get("apiId", ""), s.get("stage", "")) for s in (plan.api_stages or [])}


def install() -> None:
    original_create = APIGatewayBackend.create_usage_plan_key
    original_delete_key = APIGatewayBackend.delete_api_key
    original_delete_plan = APIGatewayBackend.delete_usage_plan
    original_list = APIGatewayBackend.get_usage_plan_keys

    def create_usage_plan_key(self: APIGatewayBackend, usage_plan_id: str, payload: dict[str, Any]) -> Any:
        if usage_plan_id not in self.usage_plans:
            raise UsagePlanNotFoundException()
        key_id = payload.get("keyId", "")
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
                    f"Usage Plan {usage_plan_id} cannot be added because API Key {key_id} cannot reference "
                    f"multiple Usage Plans with the same API Stage: {api_id}:{stage}"
                )
        return original_create(self, usage_plan_id, payload)

    def delete_api_key(self: APIGatewayBackend, api_key_id: str) -> None:
        original_delete_key(self, api_key_id)
        for keys in self.usage_plan_keys.values():
            keys.pop(api_key_id, None)

    def delete_usage_plan(self: APIGatewayBackend, usage_plan_id: str) -> None:
        if usage_plan_id not in self.usage_plans:
            raise UsagePlanNotFoundException()
        original_delete_plan(self, usage_plan_id)
        self.usage_plan_keys.pop(usage_plan_id, None)

    def get_usage_plan_keys(self: APIGatewayBackend, usage_plan_id: str, name: str | None = None) -> Any:
        if usage_plan_id not in self.usage_plans:
            raise UsagePlanNotFoundException()
        return original_list(self, usage_plan_id, name=name)

    APIGatewayBackend.create_usage_plan_key = create_usage_plan_key  # type: ignore[method-assign]
    APIGatewayBackend.delete_api_key = delete_api_key  # type: ignore[method-assign]
    APIGatewayBackend.delete_usage_plan = delete_usage_plan  # type: ignore[method-assign]
    APIGatewayBackend.get_usage_plan_keys = get_usage_plan_keys  # type: ignore[method-assign]
