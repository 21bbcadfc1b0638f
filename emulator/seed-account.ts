import {
  CreateDeploymentCommand,
  CreateRestApiCommand,
  CreateUsagePlanCommand,
  GetResourcesCommand,
  ImportApiKeysCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import { randomBytes } from 'node:crypto';

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
 * Creates `count` enabled keys named `<prefix>-<i>`, key i in plan `planIds[i % planIds.length]`, with
 * ImportApiKeys: a CSV file of a thousand keys per call (the emulator implements it, see
 * keyrot_moto/import_keys.py). Returns the key ids in order.
 */
export async function seedKeys(
  apigw: APIGatewayClient,
  count: number,
  planIds: string[],
  prefix = 'bulk',
): Promise<string[]> {
  const ids: string[] = [];
  for (let from = 0; from < count; from += 1000) {
    const rows = ['Name,Key,Enabled,UsagePlanIds'];
    for (let i = from; i < Math.min(count, from + 1000); i++) {
      rows.push(
        `${prefix}-${i},${randomBytes(20).toString('hex')},true,${planIds[i % planIds.length] ?? ''}`,
      );
    }
    const out = await apigw.send(
      new ImportApiKeysCommand({
        body: new TextEncoder().encode(rows.join('\n')),
        format: 'csv',
        failOnWarnings: true,
      }),
    );
    ids.push(...(out.ids ?? []));
  }
  return ids;
}
