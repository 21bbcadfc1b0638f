import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetTagsCommand,
  GetUsageCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  paginateGetApiKeys,
  paginateGetUsage,
  paginateGetUsagePlanKeys,
  paginateGetUsagePlans,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountPlugin, newAccountId, seedUsage, testClientConfig } from '../../support/emulator-account.js';

const accountId = newAccountId();
const apigw = new APIGatewayClient(testClientConfig(accountId));
apigw.middlewareStack.use(accountPlugin(accountId));
const arn = (id: string) => `arn:aws:apigateway:us-east-1::/apikeys/${id}`;

async function newKey(name: string, tags?: Record<string, string>): Promise<string> {
  const key = await apigw.send(new CreateApiKeyCommand({ name, enabled: true, tags }));
  return key.id ?? '';
}

async function newPlan(name: string, stages: { apiId: string; stage: string }[]): Promise<string> {
  const plan = await apigw.send(
    new CreateUsagePlanCommand({ name, apiStages: stages, quota: { limit: 1000, period: 'DAY' } }),
  );
  return plan.id ?? '';
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe('API key tags (TagResource, UntagResource, GetTags on arn:...::/apikeys/ID)', () => {
  it('tags merge with the ones given at creation and show in GetApiKey, GetApiKeys and GetTags', async () => {
    const id = await newKey('tagged', { team: 'payments' });
    await apigw.send(
      new TagResourceCommand({
        resourceArn: arn(id),
        tags: { 'rotation:disabled-at': '2026-01-01T00:00:00Z' },
      }),
    );
    const expected = { team: 'payments', 'rotation:disabled-at': '2026-01-01T00:00:00Z' };
    expect((await apigw.send(new GetApiKeyCommand({ apiKey: id }))).tags).toEqual(expected);
    expect((await apigw.send(new GetTagsCommand({ resourceArn: arn(id) }))).tags).toEqual(expected);
    const listed = await apigw.send(new GetApiKeysCommand({ nameQuery: 'tagged', limit: 500 }));
    expect(listed.items?.find((k) => k.id === id)?.tags).toEqual(expected);
    await apigw.send(new UntagResourceCommand({ resourceArn: arn(id), tagKeys: ['team'] }));
    expect((await apigw.send(new GetApiKeyCommand({ apiKey: id }))).tags).toEqual({
      'rotation:disabled-at': '2026-01-01T00:00:00Z',
    });
  });

  it('an unknown key is NotFoundException', async () => {
    const error = await errorOf(
      apigw.send(new TagResourceCommand({ resourceArn: arn('nosuchkey'), tags: { a: 'b' } })),
    );
    expect(error?.name).toBe('NotFoundException');
  });

  it('UpdateApiKey moves lastUpdatedDate', async () => {
    const id = await newKey('touched');
    const before = (await apigw.send(new GetApiKeyCommand({ apiKey: id }))).lastUpdatedDate!;
    await new Promise((r) => setTimeout(r, 1100));
    await apigw.send(
      new UpdateApiKeyCommand({
        apiKey: id,
        patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
      }),
    );
    const after = (await apigw.send(new GetApiKeyCommand({ apiKey: id }))).lastUpdatedDate!;
    expect(after.getTime()).toBeGreaterThan(before.getTime());
  });
});

describe('paging: limit (default 25, at most 500) and position', () => {
  let planId: string;
  const ids: string[] = [];
  beforeAll(async () => {
    planId = await newPlan('paged', []);
    for (let i = 0; i < 60; i++) {
      const id = await newKey(`paged-${String(i).padStart(2, '0')}`);
      ids.push(id);
      await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId: id, keyType: 'API_KEY' }));
    }
    for (let i = 0; i < 30; i++) await newPlan(`extra-${i}`, []);
  });

  it('GetApiKeys: 25 by default with a position; the last page has none; pages cover every key once', async () => {
    const first = await apigw.send(new GetApiKeysCommand({ nameQuery: 'paged-' }));
    expect(first.items).toHaveLength(25);
    expect(first.position).toEqual(expect.any(String));
    const pages: number[] = [];
    const seen: string[] = [];
    for await (const page of paginateGetApiKeys({ client: apigw, pageSize: 7 }, { nameQuery: 'paged-' })) {
      pages.push(page.items?.length ?? 0);
      seen.push(...(page.items ?? []).map((k) => k.id ?? ''));
    }
    expect(pages).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 4]);
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it('GetUsagePlanKeys and GetUsagePlans page the same way', async () => {
    const keyPages: number[] = [];
    for await (const page of paginateGetUsagePlanKeys(
      { client: apigw, pageSize: 25 },
      { usagePlanId: planId },
    )) {
      keyPages.push(page.items?.length ?? 0);
    }
    expect(keyPages).toEqual([25, 25, 10]);
    const plans = await apigw.send(new GetUsagePlansCommand({ limit: 10 }));
    expect(plans.items).toHaveLength(10);
    let total = 0;
    for await (const page of paginateGetUsagePlans({ client: apigw, pageSize: 10 }, {}))
      total += page.items?.length ?? 0;
    expect(total).toBeGreaterThanOrEqual(31);
  });

  it.each([0, 501])('limit %i is BadRequestException', async (limit) => {
    expect((await errorOf(apigw.send(new GetApiKeysCommand({ limit }))))?.name).toBe('BadRequestException');
  });

  it('a malformed position is BadRequestException', async () => {
    const error = await errorOf(
      apigw.send(new GetUsagePlanKeysCommand({ usagePlanId: planId, position: 'garbage' })),
    );
    expect(error?.name).toBe('BadRequestException');
  });
});

describe('usage plan keys', () => {
  it('GetUsagePlans with keyId answers only the plans the key is in', async () => {
    const a = await newPlan('with-key-a', [{ apiId: 'api1', stage: 'a' }]);
    const b = await newPlan('with-key-b', [{ apiId: 'api1', stage: 'b' }]);
    await newPlan('without-key', [{ apiId: 'api1', stage: 'c' }]);
    const id = await newKey('in-two-plans');
    for (const usagePlanId of [a, b]) {
      await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: id, keyType: 'API_KEY' }));
    }
    const plans = await apigw.send(new GetUsagePlansCommand({ keyId: id, limit: 500 }));
    expect(plans.items?.map((p) => p.id).sort()).toEqual([a, b].sort());
  });

  it('a key already in the plan, or in another plan on the same API stage: ConflictException', async () => {
    const gold = await newPlan('gold-x', [{ apiId: 'api2', stage: 'prod' }]);
    const silver = await newPlan('silver-x', [{ apiId: 'api2', stage: 'prod' }]);
    const id = await newKey('conflicted');
    await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: gold, keyId: id, keyType: 'API_KEY' }));
    const again = await errorOf(
      apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: gold, keyId: id, keyType: 'API_KEY' })),
    );
    expect(again?.name).toBe('ConflictException');
    const sameStage = await errorOf(
      apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: silver, keyId: id, keyType: 'API_KEY' })),
    );
    expect(sameStage?.name).toBe('ConflictException');
    expect(sameStage?.message).toContain('cannot reference multiple Usage Plans with the same API Stage');
  });

  it('an unknown plan or key: NotFoundException', async () => {
    const id = await newKey('lonely');
    const noPlan = await errorOf(
      apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: 'nope', keyId: id, keyType: 'API_KEY' })),
    );
    expect(noPlan?.name).toBe('NotFoundException');
    const plan = await newPlan('for-missing-key', []);
    const noKey = await errorOf(
      apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: plan, keyId: 'nokey', keyType: 'API_KEY' })),
    );
    expect(noKey?.name).toBe('NotFoundException');
  });

  it('DeleteApiKey removes the key from its usage plans', async () => {
    const plan = await newPlan('cleanup', []);
    const id = await newKey('doomed');
    await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: plan, keyId: id, keyType: 'API_KEY' }));
    await apigw.send(new DeleteApiKeyCommand({ apiKey: id }));
    const keys = await apigw.send(new GetUsagePlanKeysCommand({ usagePlanId: plan }));
    expect(keys.items ?? []).toEqual([]);
  });
});

describe('GetUsage', () => {
  let plan: string;
  let busy: string;
  let idle: string;
  beforeAll(async () => {
    plan = await newPlan('metered', [{ apiId: 'api3', stage: 'prod' }]);
    busy = await newKey('busy');
    idle = await newKey('idle');
    for (const keyId of [busy, idle]) {
      await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: plan, keyId, keyType: 'API_KEY' }));
    }
    await seedUsage(accountId, 'us-east-1', [
      { usagePlanId: plan, keyId: busy, date: '2026-03-01', used: 10 },
      { usagePlanId: plan, keyId: busy, date: '2026-03-03', used: 7, remaining: 993 },
    ]);
  });

  it('answers every key of the plan with one [used, remaining] pair per day', async () => {
    const usage = await apigw.send(
      new GetUsageCommand({ usagePlanId: plan, startDate: '2026-03-01', endDate: '2026-03-03' }),
    );
    expect(usage).toMatchObject({ usagePlanId: plan, startDate: '2026-03-01', endDate: '2026-03-03' });
    expect(usage.items).toEqual({
      [busy]: [
        [10, 990],
        [0, 1000],
        [7, 993],
      ],
      [idle]: [
        [0, 1000],
        [0, 1000],
        [0, 1000],
      ],
    });
  });

  it('keyId narrows it to one key; paging is over keys', async () => {
    const one = await apigw.send(
      new GetUsageCommand({ usagePlanId: plan, startDate: '2026-03-01', endDate: '2026-03-01', keyId: idle }),
    );
    expect(Object.keys(one.items ?? {})).toEqual([idle]);
    const pages: number[] = [];
    for await (const page of paginateGetUsage(
      { client: apigw, pageSize: 1 },
      { usagePlanId: plan, startDate: '2026-03-01', endDate: '2026-03-02' },
    )) {
      pages.push(Object.keys(page.items ?? {}).length);
    }
    expect(pages).toEqual([1, 1]);
  });

  it.each([
    ['a range over 90 days', { startDate: '2026-01-01', endDate: '2026-04-01' }, 'BadRequestException'],
    ['an end before the start', { startDate: '2026-03-02', endDate: '2026-03-01' }, 'BadRequestException'],
    ['a date that is not one', { startDate: '2026-02-30', endDate: '2026-03-01' }, 'BadRequestException'],
  ])('%s is refused', async (_name, dates, name) => {
    expect((await errorOf(apigw.send(new GetUsageCommand({ usagePlanId: plan, ...dates }))))?.name).toBe(
      name,
    );
  });

  it('an unknown plan is NotFoundException', async () => {
    const error = await errorOf(
      apigw.send(
        new GetUsageCommand({ usagePlanId: 'nope', startDate: '2026-03-01', endDate: '2026-03-01' }),
      ),
    );
    expect(error?.name).toBe('NotFoundException');
  });
});
