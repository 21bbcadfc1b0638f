/**
 * (d) Usage plan keys: DeleteApiKey leaves no plan key behind; CreateUsagePlanKey refuses a duplicate
 * and a second plan on the same API stage (ConflictException), and an unknown plan or key (NotFoundException).
 */
import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  type ApiStage,
} from '@aws-sdk/client-api-gateway';
import { describe, expect, it } from 'vitest';
import { apigatewayAccount, caught } from './helpers.js';

const { apigw } = apigatewayAccount();

async function newKey(name: string): Promise<string> {
  return (await apigw.send(new CreateApiKeyCommand({ name, enabled: true }))).id ?? '';
}
async function newPlan(name: string, apiStages: ApiStage[] = []): Promise<string> {
  return (await apigw.send(new CreateUsagePlanCommand({ name, apiStages }))).id ?? '';
}
const addKey = (usagePlanId: string, keyId: string) =>
  apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
const planKeyIds = async (usagePlanId: string) =>
  ((await apigw.send(new GetUsagePlanKeysCommand({ usagePlanId, limit: 500 }))).items ?? []).map((k) => k.id);

describe('CreateUsagePlanKey', () => {
  it('answers the plan key (201) with the key id, type, name and value', async () => {
    const plan = await newPlan('basic');
    const key = await apigw.send(new CreateApiKeyCommand({ name: 'member', enabled: true }));
    const planKey = await addKey(plan, key.id ?? '');
    expect(planKey.$metadata.httpStatusCode).toBe(201);
    expect(planKey).toMatchObject({ id: key.id, type: 'API_KEY', name: 'member', value: key.value });
    expect(await planKeyIds(plan)).toEqual([key.id]);
  });

  it('a key already in the plan is ConflictException (409) and stays there once', async () => {
    const plan = await newPlan('dup', [{ apiId: 'api1', stage: 'prod' }]);
    const id = await newKey('twice');
    await addKey(plan, id);
    const error = await caught(addKey(plan, id));
    expect(error?.name).toBe('ConflictException');
    expect(error?.$metadata?.httpStatusCode).toBe(409);
    expect(await planKeyIds(plan)).toEqual([id]);
  });

  it('a key in another plan on a shared API stage is ConflictException; plans on other stages are fine', async () => {
    const gold = await newPlan('gold', [
      { apiId: 'api2', stage: 'prod' },
      { apiId: 'api2', stage: 'beta' },
    ]);
    const silver = await newPlan('silver', [{ apiId: 'api2', stage: 'prod' }]);
    const beta = await newPlan('beta-only', [{ apiId: 'api2', stage: 'beta' }]);
    const otherApi = await newPlan('other-api', [{ apiId: 'api3', stage: 'prod' }]);
    const otherStage = await newPlan('other-stage', [{ apiId: 'api2', stage: 'dev' }]);
    const id = await newKey('one-plan-per-stage');
    await addKey(gold, id);
    for (const [plan, stage] of [
      [silver, 'api2:prod'],
      [beta, 'api2:beta'],
    ] as const) {
      const error = await caught(addKey(plan, id));
      expect(error?.name).toBe('ConflictException');
      expect(error?.message).toBe(
        `Usage Plan ${plan} cannot be added because API Key ${id} cannot reference multiple Usage Plans with the same API Stage: ${stage}`,
      );
    }
    await addKey(otherApi, id);
    await addKey(otherStage, id);
    const plans = await apigw.send(new GetUsagePlansCommand({ keyId: id, limit: 500 }));
    expect(plans.items?.map((p) => p.id).sort()).toEqual([gold, otherApi, otherStage].sort());
  });

  it('an unknown plan or an unknown key is NotFoundException (404)', async () => {
    const id = await newKey('orphan');
    const plan = await newPlan('real');
    for (const [planId, keyId, message] of [
      ['noplan1', id, 'Invalid Usage Plan ID specified'],
      [plan, 'nokey01', 'Invalid API Key identifier specified'],
    ] as const) {
      const error = await caught(addKey(planId, keyId));
      expect(error?.name).toBe('NotFoundException');
      expect(error?.$metadata?.httpStatusCode).toBe(404);
      expect(error?.message).toBe(message);
    }
    expect(await planKeyIds(plan)).toEqual([]);
  });
});

describe('deleting keys and plans', () => {
  it('DeleteApiKey removes the key from every usage plan it was in', async () => {
    const a = await newPlan('del-a', [{ apiId: 'api4', stage: 'a' }]);
    const b = await newPlan('del-b', [{ apiId: 'api4', stage: 'b' }]);
    const doomed = await newKey('doomed');
    const survivor = await newKey('survivor');
    for (const plan of [a, b]) {
      await addKey(plan, doomed);
      await addKey(plan, survivor);
    }
    await apigw.send(new DeleteApiKeyCommand({ apiKey: doomed }));
    expect(await planKeyIds(a)).toEqual([survivor]);
    expect(await planKeyIds(b)).toEqual([survivor]);
    expect((await apigw.send(new GetUsagePlansCommand({ keyId: doomed }))).items ?? []).toEqual([]);
  });

  it('a deleted plan is gone for GetUsagePlanKeys (NotFoundException) and GetUsagePlans?keyId', async () => {
    const plan = await newPlan('short-lived', [{ apiId: 'api5', stage: 'prod' }]);
    const id = await newKey('in-deleted-plan');
    await addKey(plan, id);
    await apigw.send(new DeleteUsagePlanCommand({ usagePlanId: plan }));
    expect((await caught(apigw.send(new GetUsagePlanKeysCommand({ usagePlanId: plan }))))?.name).toBe(
      'NotFoundException',
    );
    expect((await apigw.send(new GetUsagePlansCommand({ keyId: id }))).items ?? []).toEqual([]);
    // The stage is free again for the key.
    await addKey(await newPlan('successor', [{ apiId: 'api5', stage: 'prod' }]), id);
  });
});
