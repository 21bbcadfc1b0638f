import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  GetResourcesCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { describe, expect, it } from 'vitest';
import { readInventory } from '../../../functions/aws/inventory.js';
import { parseConfig } from '../../../functions/core/config.js';
import { plan } from '../../../functions/core/plan.js';
import { seedKeys } from '../../../emulator/seed-account.js';
import { dayAt, World } from '../../support/world.js';

/** A REST API with the given methods ("GET /health": apiKeyRequired), deployed to the stages. */
async function restApi(
  apigw: APIGatewayClient,
  name: string,
  methods: { verb: string; path: string; keyRequired: boolean }[],
  stages: string[],
  apiKeySource?: 'HEADER' | 'AUTHORIZER',
): Promise<string> {
  const api = await apigw.send(new CreateRestApiCommand({ name, apiKeySource }));
  const restApiId = api.id ?? '';
  const root = (await apigw.send(new GetResourcesCommand({ restApiId }))).items?.[0]?.id ?? '';
  for (const m of methods) {
    const resourceId =
      m.path === '/'
        ? root
        : ((
            await apigw.send(
              new CreateResourceCommand({ restApiId, parentId: root, pathPart: m.path.slice(1) }),
            )
          ).id ?? '');
    await apigw.send(
      new PutMethodCommand({
        restApiId,
        resourceId,
        httpMethod: m.verb,
        authorizationType: 'NONE',
        apiKeyRequired: m.keyRequired,
      }),
    );
    await apigw.send(new PutIntegrationCommand({ restApiId, resourceId, httpMethod: m.verb, type: 'MOCK' }));
  }
  for (const stageName of stages) await apigw.send(new CreateDeploymentCommand({ restApiId, stageName }));
  return restApiId;
}

const limits = {
  throttle: { rateLimit: 50, burstLimit: 100 },
  quota: { limit: 10_000, period: 'DAY' as const },
};

describe('posture: the API Gateway pitfalls, on REST APIs built for the test', async () => {
  const world = new World();
  const { apigw } = world.raw();
  const clean = await restApi(
    apigw,
    'clean',
    [
      { verb: 'GET', path: '/', keyRequired: true },
      { verb: 'OPTIONS', path: '/', keyRequired: false },
    ],
    ['prod', 'beta'],
  );
  const leaky = await restApi(
    apigw,
    'leaky',
    [
      { verb: 'GET', path: '/health', keyRequired: false },
      { verb: 'POST', path: '/orders', keyRequired: true },
    ],
    ['prod'],
  );
  const authz = await restApi(
    apigw,
    'authz',
    [{ verb: 'GET', path: '/', keyRequired: true }],
    ['prod'],
    'AUTHORIZER',
  );
  const extra = await restApi(apigw, 'extra', [{ verb: 'GET', path: '/', keyRequired: true }], ['prod']);
  const planOf = async (name: string, apiId: string, stage: string, withLimits = true) =>
    (
      await apigw.send(
        new CreateUsagePlanCommand({ name, apiStages: [{ apiId, stage }], ...(withLimits ? limits : {}) }),
      )
    ).id ?? '';
  const plans = {
    clean: await planOf('clean-prod', clean, 'prod'),
    unlimited: await planOf('clean-beta', clean, 'beta', false),
    leaky: await planOf('leaky-prod', leaky, 'prod'),
    authz: await planOf('authz-prod', authz, 'prod'),
    extra: await planOf('extra-prod', extra, 'prod'),
  };
  const key = async (name: string, planIds: string[]) => {
    const k = await apigw.send(new CreateApiKeyCommand({ name, enabled: true }));
    for (const usagePlanId of planIds)
      await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: k.id, keyType: 'API_KEY' }));
    return k.id ?? '';
  };
  const narrow = await key('narrow', [plans.clean]);
  const wide = await key('wide', [plans.clean, plans.leaky, plans.authz, plans.extra]);
  const inventory = await readInventory(world.clients(), world.config, dayAt(0));
  const findings = plan(inventory, world.config, dayAt(0)).findings.filter((f) =>
    f.kind.startsWith('posture-'),
  );

  it('one finding per pitfall, each naming the API, plan or key', () => {
    expect(findings.map((f) => `${f.kind}:${f.apiId ?? f.usagePlanId ?? f.keyId}`).sort()).toEqual(
      [
        `posture-plan-unlimited:${plans.unlimited}`,
        `posture-method-without-key:${leaky}`,
        `posture-authorizer-key-source:${authz}`,
        `posture-key-opens-many-apis:${wide}`,
      ].sort(),
    );
    expect(findings.find((f) => f.kind === 'posture-method-without-key')?.message).toContain('GET /health');
  });

  it('the clean API, its plan and the narrow key yield none', () => {
    const named = findings.flatMap((f) => [f.apiId, f.usagePlanId, f.keyId]);
    expect(named).not.toContain(clean);
    expect(named).not.toContain(plans.clean);
    expect(named).not.toContain(narrow);
  });
});

describe('GetUsage reads: one call per plan page, never one per key', async () => {
  const world = new World(parseConfig({ hygiene: { posture: { action: 'ignore' } } }));
  const { apigw } = world.raw();
  const planIds: string[] = [];
  for (let p = 0; p < 20; p++) {
    planIds.push((await apigw.send(new CreateUsagePlanCommand({ name: `plan-${p}`, ...limits }))).id ?? '');
  }
  await seedKeys(apigw, 2_000, planIds, 'k');

  it('2,000 keys in 20 plans: 20 GetUsage calls (one page each)', async () => {
    world.recorder.reset();
    const inventory = await readInventory(world.clients(), world.config, dayAt(200));
    expect(inventory.keys).toHaveLength(2_000);
    expect(inventory.usage).toBeDefined();
    expect(world.recorder.count('GetUsageCommand')).toBe(20);
    expect(world.recorder.count('GetApiKeysCommand')).toBe(4);
  });
});
