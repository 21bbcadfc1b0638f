import {
  CreateApiKeyCommand,
  CreateDeploymentCommand,
  CreateRestApiCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  GetResourcesCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import pLimit from 'p-limit';

/**
 * Seeds an emulator account with a REST API (GET / requires a key), one stage per name, and one
 * usage plan per stage with throttle and quota: the shape of a real API product. Returns the plan ids.
 */
export async function createPlans(
  apigw: APIGatewayClient,
  names: string[],
  apiName = 'orders-api',
): Promise<string[]> {
  const api = await apigw.send(new CreateRestApiCommand({ name: apiName }));
  const restApiId = api.id ?? '';
  const resources = await apigw.send(new GetResourcesCommand({ restApiId }));
  const rootId = resources.items?.[0]?.id ?? '';
  await apigw.send(
    new PutMethodCommand({
      restApiId,
      resourceId: rootId,
      httpMethod: 'GET',
      authorizationType: 'NONE',
      apiKeyRequired: true,
    }),
  );
  await apigw.send(
    new PutIntegrationCommand({ restApiId, resourceId: rootId, httpMethod: 'GET', type: 'MOCK' }),
  );
  const ids: string[] = [];
  for (const name of names) {
    await apigw.send(new CreateDeploymentCommand({ restApiId, stageName: name }));
    const plan = await apigw.send(
      new CreateUsagePlanCommand({
        name,
        apiStages: [{ apiId: restApiId, stage: name }],
        throttle: { rateLimit: 100, burstLimit: 200 },
        quota: { limit: 100_000, period: 'DAY' },
      }),
    );
    ids.push(plan.id ?? '');
  }
  return ids;
}

/**
 * Creates `count` enabled keys named `<prefix>-<i>`, key i in plan `planIds[i % planIds.length]`, many
 * at once (the emulator serves requests concurrently; moto has no ImportApiKeys). Returns the key ids
 * in order.
 */
export async function seedKeys(
  apigw: APIGatewayClient,
  count: number,
  planIds: string[],
  prefix = 'bulk',
): Promise<string[]> {
  const limit = pLimit(16);
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      limit(async () => {
        const key = await apigw.send(new CreateApiKeyCommand({ name: `${prefix}-${i}`, enabled: true }));
        const usagePlanId = planIds[i % planIds.length];
        if (usagePlanId !== undefined) {
          await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id, keyType: 'API_KEY' }));
        }
        return key.id ?? '';
      }),
    ),
  );
}
