/**
 * (c) limit (default 25, 1 to 500) and position on GetApiKeys, GetUsagePlans and GetUsagePlanKeys;
 * (e) GetUsagePlans with keyId answers only the plans that contain the key, paged too.
 */
import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  paginateGetApiKeys,
  paginateGetUsagePlanKeys,
  paginateGetUsagePlans,
} from '@aws-sdk/client-api-gateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { apigatewayAccount, caught } from './helpers.js';

const { apigw } = apigatewayAccount();
const KEYS = 60;
const PLANS = 31;

async function newKey(name: string): Promise<string> {
  return (await apigw.send(new CreateApiKeyCommand({ name, enabled: true }))).id ?? '';
}
async function newPlan(name: string): Promise<string> {
  return (await apigw.send(new CreateUsagePlanCommand({ name }))).id ?? '';
}
async function addKey(usagePlanId: string, keyId: string): Promise<void> {
  await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
}

let keyIds: string[] = [];
let planIds: string[] = [];
let bigPlan = '';

beforeAll(async () => {
  keyIds = await Promise.all(Array.from({ length: KEYS }, (_, i) => newKey(`paged-${i}`)));
  planIds = await Promise.all(Array.from({ length: PLANS }, (_, i) => newPlan(`plan-${i}`)));
  bigPlan = planIds[0] ?? '';
  for (const id of keyIds) await addKey(bigPlan, id);
});

describe('GetApiKeys paging', () => {
  it('answers 25 by default with a position; every page after it follows on; the last has no position', async () => {
    const first = await apigw.send(new GetApiKeysCommand({}));
    expect(first.items).toHaveLength(25);
    expect(first.position).toEqual(expect.any(String));
    const second = await apigw.send(new GetApiKeysCommand({ position: first.position }));
    expect(second.items).toHaveLength(25);
    const third = await apigw.send(new GetApiKeysCommand({ position: second.position }));
    expect(third.items).toHaveLength(10);
    expect(third.position).toBeUndefined();
    const seen = [...first.items!, ...second.items!, ...third.items!].map((k) => k.id);
    expect(new Set(seen).size).toBe(KEYS);
    expect([...seen].sort()).toEqual([...keyIds].sort());
  });

  it('the SDK paginator walks pages of the size asked, in the same order every time', async () => {
    const walk = async () => {
      const sizes: number[] = [];
      const ids: string[] = [];
      for await (const page of paginateGetApiKeys({ client: apigw, pageSize: 7 }, {})) {
        sizes.push(page.items?.length ?? 0);
        ids.push(...(page.items ?? []).map((k) => k.id ?? ''));
      }
      return { sizes, ids };
    };
    const once = await walk();
    expect(once.sizes).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 4]);
    expect(await walk()).toEqual(once);
  });

  it('limit 500 answers everything in one page; 0, 501 and a malformed position are BadRequestException', async () => {
    const all = await apigw.send(new GetApiKeysCommand({ limit: 500 }));
    expect(all.items).toHaveLength(KEYS);
    expect(all.position).toBeUndefined();
    for (const input of [{ limit: 0 }, { limit: 501 }, { position: 'not-a-position' }]) {
      const error = await caught(apigw.send(new GetApiKeysCommand(input)));
      expect(error?.name).toBe('BadRequestException');
      expect(error?.$metadata?.httpStatusCode).toBe(400);
    }
  });
});

describe('GetUsagePlanKeys and GetUsagePlans paging', () => {
  it('GetUsagePlanKeys pages 25, 25, 10 over the plan keys', async () => {
    const sizes: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateGetUsagePlanKeys(
      { client: apigw, pageSize: 25 },
      { usagePlanId: bigPlan },
    )) {
      sizes.push(page.items?.length ?? 0);
      ids.push(...(page.items ?? []).map((k) => k.id ?? ''));
    }
    expect(sizes).toEqual([25, 25, 10]);
    expect(ids.sort()).toEqual([...keyIds].sort());
  });

  it('GetUsagePlans pages every plan exactly once', async () => {
    const first = await apigw.send(new GetUsagePlansCommand({ limit: 10 }));
    expect(first.items).toHaveLength(10);
    expect(first.position).toEqual(expect.any(String));
    const sizes: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateGetUsagePlans({ client: apigw, pageSize: 10 }, {})) {
      sizes.push(page.items?.length ?? 0);
      ids.push(...(page.items ?? []).map((p) => p.id ?? ''));
    }
    expect(sizes).toEqual([10, 10, 10, 1]);
    expect(ids.sort()).toEqual([...planIds].sort());
  });

  it('GetUsagePlanKeys limit out of range is BadRequestException', async () => {
    const error = await caught(apigw.send(new GetUsagePlanKeysCommand({ usagePlanId: bigPlan, limit: 501 })));
    expect(error?.name).toBe('BadRequestException');
  });
});

describe('(e) GetUsagePlans with keyId', () => {
  it('answers only the plans that contain the key, across pages', async () => {
    const key = await newKey('in-three-plans');
    const inPlans = [planIds[3], planIds[7], planIds[20]].map(String);
    for (const plan of inPlans) await addKey(plan, key);
    const all = await apigw.send(new GetUsagePlansCommand({ keyId: key, limit: 500 }));
    expect(all.items?.map((p) => p.id).sort()).toEqual([...inPlans].sort());
    const sizes: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateGetUsagePlans({ client: apigw, pageSize: 2 }, { keyId: key })) {
      sizes.push(page.items?.length ?? 0);
      ids.push(...(page.items ?? []).map((p) => p.id ?? ''));
    }
    expect(sizes).toEqual([2, 1]);
    expect(ids.sort()).toEqual([...inPlans].sort());
  });

  it('a key in no plan gets an empty list', async () => {
    const lonely = await newKey('lonely');
    const none = await apigw.send(new GetUsagePlansCommand({ keyId: lonely }));
    expect(none.items ?? []).toEqual([]);
    expect(none.position).toBeUndefined();
  });
});

describe('positions stay valid while the list changes', () => {
  it('deleting a key already returned does not skip or repeat any other key on later pages', async () => {
    const scope = await Promise.all(Array.from({ length: 12 }, (_, i) => newKey(`churn-${i}`)));
    const walkIds = async (): Promise<string[]> => {
      const ids: string[] = [];
      for await (const page of paginateGetApiKeys(
        { client: apigw, pageSize: 500 },
        { nameQuery: 'churn-' },
      )) {
        ids.push(...(page.items ?? []).map((k) => k.id ?? ''));
      }
      return ids;
    };
    const order = await walkIds();
    expect([...order].sort()).toEqual([...scope].sort());
    const first = await apigw.send(new GetApiKeysCommand({ nameQuery: 'churn-', limit: 5 }));
    expect(first.items?.map((k) => k.id)).toEqual(order.slice(0, 5));
    await apigw.send(new DeleteApiKeyCommand({ apiKey: order[1]! }));
    await apigw.send(new DeleteApiKeyCommand({ apiKey: order[2]! }));
    const second = await apigw.send(
      new GetApiKeysCommand({ nameQuery: 'churn-', limit: 5, position: first.position }),
    );
    expect(second.items?.map((k) => k.id)).toEqual(order.slice(5, 10));
  });
});
